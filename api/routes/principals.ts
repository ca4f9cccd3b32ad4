import { Router } from 'express';
import { principalsByIds } from '../../db/principals';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { endSessions } from '../commands/endSessions';

/** `/api/v1/principals`: what an admin does to a person's access. */
export function principalRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** Signs the person out everywhere at once, e.g. a lost laptop; the audit chain names the admin. */
  router.delete('/:id/sessions', requireRole('admin'), async (req, res) => {
    const [principal] = await principalsByIds(deps.pool, [String(req.params.id)]);
    if (!principal) throw notFound('the principal');
    res.json({ principalId: principal.id, ended: await endSessions(deps.pool, { principalId: principal.id, actorId: req.principal!.id }) });
  });

  return router;
}
