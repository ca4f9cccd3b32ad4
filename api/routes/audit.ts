import { Router } from 'express';
import { verifyAuditChain } from '../../db/auditVerify';
import { oversightRoles, requireRole } from '../auth';
import type { ApiDeps } from '../deps';

export function auditRoutes(deps: ApiDeps): Router {
  const router = Router();

  /** Recomputes the whole hash chain from genesis and names the first event that does not follow. */
  router.get('/verify', requireRole(...oversightRoles), async (_req, res) => {
    res.json(await verifyAuditChain(deps.pool));
  });

  return router;
}
