import { Router } from 'express';
import { z } from 'zod';
import { loadEvidencePack } from '../../db/evidencePack';
import { getSystem } from '../../db/systems';
import { canSeeSystem } from '../access';
import type { ApiDeps } from '../deps';
import { forbidden, notFound } from '../errors';
import { evidencePage } from '../evidencePage';
import { parseId, parseQuery } from '../validate';

export const evidenceQuery = z.strictObject({ format: z.enum(['json', 'html']).optional() });

export function evidenceRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** The evidence pack of one system: JSON, or a printable page for `Accept: text/html` or `?format=html`. */
  router.get('/:id/evidence', async (req, res) => {
    const query = parseQuery(evidenceQuery, req);
    const id = parseId(req);
    const system = id && (await getSystem(deps.pool, id));
    if (!system) throw notFound('the AI system');
    if (!(await canSeeSystem(deps.pool, req.principal!, system))) throw forbidden('you may not see this AI system');
    const pack = await loadEvidencePack(deps.pool, system);
    res.vary('Accept');
    const format = query.format ?? (req.accepts(['json', 'html']) === 'html' ? 'html' : 'json');
    if (format === 'json') {
      res.json(pack);
      return;
    }
    res
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
      .type('html')
      .send(evidencePage(pack));
  });

  return router;
}
