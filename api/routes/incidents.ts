import { Router } from 'express';
import { incidentsOf } from '../../db/incidents';
import { incidentReportSchema, seriousnessSchema } from '../../domain/incident';
import { hasAnyRole } from '../../domain/principal';
import { assessSeriousness } from '../commands/assessSeriousness';
import { forbidden } from '../errors';
import { visibleSystem } from '../access';
import { reportableSystem, reportIncident } from '../commands/reportIncident';
import { temporalUiLink, type ApiDeps } from '../deps';
import type { RateLimits } from '../rateLimits';
import { idempotencyKey, parseBody, parseId } from '../validate';

/** `/api/v1/systems/:id/incidents`: anyone may report an incident; the system's viewers see them. */
export function incidentRoutes(deps: ApiDeps, limits: RateLimits): Router {
  const router = Router();

  router.post('/:id/incidents', async (req, res) => {
    const key = idempotencyKey(req);
    const { system } = await reportableSystem(deps, req.principal!, parseId(req));
    const report = parseBody(incidentReportSchema, req);
    const { incidentId, workflowId, replayed } = await reportIncident(deps, limits, req.principal!, system, report, key);
    res
      .status(202)
      .location(`/api/v1/systems/${system.id}/incidents`)
      .set('Idempotent-Replayed', String(replayed))
      .json({
        incidentId,
        workflowId,
        systemId: system.id,
        temporalUi: temporalUiLink(deps, workflowId),
        links: { incidents: `/api/v1/systems/${system.id}/incidents` },
      });
  });

  /** A governance lead decides that the incident is serious, or establishes a causal link: the regulatory clock as it now runs. */
  router.post('/:id/incidents/:incidentId/seriousness', async (req, res) => {
    const principal = req.principal!;
    if (!hasAnyRole(principal, 'governance_lead')) throw forbidden('only a governance lead decides whether an incident is serious');
    const system = await visibleSystem(deps.pool, req);
    const seriousness = parseBody(seriousnessSchema, req);
    const assessed = await assessSeriousness(deps, principal, system.id, parseId(req, 'incidentId'), seriousness, idempotencyKey(req));
    res.json({ ...assessed, serious: true, links: { incidents: `/api/v1/systems/${system.id}/incidents` } });
  });

  router.get('/:id/incidents', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    res.json({ systemId: system.id, state: system.state, incidents: await incidentsOf(deps.pool, system.id) });
  });

  return router;
}
