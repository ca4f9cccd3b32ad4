import { Router } from 'express';
import { z } from 'zod';
import { loadEvidencePack } from '../../db/evidencePack';
import { visibleSystem } from '../access';
import type { ApiDeps } from '../deps';
import { evidencePage } from '../evidencePage';
import { parseQuery } from '../validate';

export const evidenceQuery = z.strictObject({ format: z.enum(['json', 'html']).optional() });

export function evidenceRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** The evidence pack of one system: JSON, or a printable page for `Accept: text/html` or `?format=html`. */
  router.get('/:id/evidence', async (req, res) => {
    const query = parseQuery(evidenceQuery, req);
    const system = await visibleSystem(deps.pool, req);
    const pack = await loadEvidencePack(deps.pool, system, deps.auditPublicKeys);
    res.vary('Accept');
    const format = query.format ?? (req.accepts(['json', 'html']) === 'html' ? 'html' : 'json');
    if (format === 'json') {
      res.json(pack);
      return;
    }
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'").type('html').send(evidencePage(pack));
  });

  return router;
}
