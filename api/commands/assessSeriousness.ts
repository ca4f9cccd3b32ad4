import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Seriousness } from '../../domain/incident';
import type { Principal } from '../../domain/principal';
import { searchAttributes, workflowIds } from '../../workflows/contracts';
import { assessIncidentSeriousness } from '../decisions';
import { withTemporalDeadline, type ApiDeps } from '../deps';
import { notFound } from '../errors';

/** The system an incident's workflow runs for; undefined when there is no such incident. */
async function incidentSystemId(deps: ApiDeps, incidentId: string): Promise<string | undefined> {
  const description = await withTemporalDeadline(deps, () => deps.temporal.workflow.getHandle(workflowIds.incident(incidentId)).describe()).catch((error) => {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  });
  return description?.typedSearchAttributes.get(searchAttributes.systemId);
}

/**
 * A governance lead decides that an incident of the system is serious, or establishes a causal link;
 * the incident's workflow judges whether it still may. The workflow says whose incident it is: its
 * record is written a moment after the report is accepted.
 */
export async function assessSeriousness(
  deps: ApiDeps,
  lead: Principal,
  systemId: string,
  incidentId: string | undefined,
  seriousness: Seriousness,
  key: string | undefined,
) {
  if (!incidentId || (await incidentSystemId(deps, incidentId)) !== systemId) throw notFound('the incident');
  const updateId = `api:seriousness:${lead.id}:${key ?? randomUUID()}`;
  return assessIncidentSeriousness(deps, incidentId, { actorId: lead.id, seriousness }, updateId);
}
