import { Router } from 'express';
import { incidentsOf } from '../../db/incidents';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import { incidentReportSchema, seriousnessSchema } from '../../domain/incident';
import { hasAnyRole } from '../../domain/principal';
import { assessIncidentSeriousness } from '../decisions';
import { forbidden, notFound } from '../errors';
import { visibleSystem } from '../access';
import { reportableSystem, reportIncident } from '../commands/reportIncident';
import { searchAttributes, workflowIds } from '../../workflows/contracts';
import { temporalUiLink, withTemporalDeadline, type ApiDeps } from '../deps';
import type { RateLimits } from '../rateLimits';
import { idempotencyKey, parseBody, parseId } from '../validate';

async function incidentSystemId(deps: ApiDeps, incidentId: string): Promise<string | undefined> {
  const description = await withTemporalDeadline(deps, () => deps.temporal.workflow.getHandle(workflowIds.incident(incidentId)).describe()).catch((error) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  return description?.typedSearchAttributes.get(searchAttributes.systemId);
}

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
    const incidentId = req.params.incidentId;
    // Its workflow says whose incident it is: the record is written a moment after the report is accepted.
    if (!/^[0-9a-f-]{36}$/.test(incidentId) || (await incidentSystemId(deps, incidentId)) !== system.id) throw notFound('the incident');
    const updateId = `api:seriousness:${principal.id}:${idempotencyKey(req) ?? randomUUID()}`;
    const assessed = await assessIncidentSeriousness(deps, incidentId, { actorId: principal.id, seriousness }, updateId);
    res.json({ ...assessed, serious: true, links: { incidents: `/api/v1/systems/${system.id}/incidents` } });
  });

  router.get('/:id/incidents', async (req, res) => {
    const system = await visibleSystem(deps.pool, req);
    res.json({ systemId: system.id, state: system.state, incidents: await incidentsOf(deps.pool, system.id) });
  });

  return router;
}
