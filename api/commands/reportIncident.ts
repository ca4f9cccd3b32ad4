import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../../db/hashing';
import { effectiveState, getSystem, type AiSystem } from '../../db/systems';
import type { IncidentReport } from '../../domain/incident';
import type { LifecycleState } from '../../domain/lifecycle';
import { canonicalJson } from '../../domain/policy';
import type { Principal } from '../../domain/principal';
import { processSearchAttributes, workflowIds, workflowTypes, type IncidentInput } from '../../workflows/contracts';
import { canSeeSystem } from '../access';
import type { ApiDeps } from '../deps';
import { AppError, notFound } from '../errors';
import { startProcessOnce } from '../processes';
import type { RateLimits } from '../rateLimits';
/**
 * States of a system that never entered service: nothing to report. A retired system's harm can still
 * come to light, and a serious incident must still be reported to the authority (Art. 73).
 */
const noIncidentsIn: readonly LifecycleState[] = ['rejected', 'withdrawn'];

/**
 * The system an incident is reported against, as the reporter may know of it. Anyone may report on a
 * system in service; one who may not see the system learns nothing more of it than an unknown id
 * would tell: a system out of service is "not found" to them, as one that does not exist.
 */
export async function reportableSystem(deps: ApiDeps, reporter: Principal, id: string | undefined): Promise<{ system: AiSystem; viewer: boolean }> {
  const system = id ? await getSystem(deps.pool, id) : undefined;
  if (!system) throw notFound('the AI system');
  const viewer = await canSeeSystem(deps.pool, reporter, system);
  if (!viewer && noIncidentsIn.includes(effectiveState(system))) throw notFound('the AI system');
  return { system, viewer };
}

/** The same reporter, system and idempotency key always name the same incident, so a retried report finds it. */
function incidentIdFor(reporterId: string, systemId: string, key: string | undefined): string {
  const hex = key ? sha256Hex(`incident\n${reporterId}\n${systemId}\n${key}`) : sha256Hex(randomUUID());
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Reports an incident: starts its workflow, which records it. A system out of service for good is
 * refused; a retry with the same key finds the first incident; the same key with a different report is refused.
 */
export async function reportIncident(
  deps: ApiDeps,
  limits: RateLimits,
  reporter: Principal,
  system: AiSystem,
  report: IncidentReport,
  key: string | undefined,
): Promise<{ incidentId: string; workflowId: string; replayed: boolean }> {
  // A suspended system counts as the state it resumes to: one whose onboarding was rejected meanwhile is out.
  const state = effectiveState(system);
  if (noIncidentsIn.includes(state)) {
    throw new AppError(409, 'illegal_state', `an AI system in state '${state}' never entered service: no incident can be reported against it`);
  }
  const incidentId = incidentIdFor(reporter.id, system.id, key);
  const workflowId = workflowIds.incident(incidentId);
  // Counted before the start, so a flood of reports stops at the quota; a retry with its key counts too.
  await limits.countIncidentReport(reporter.id);
  const requestFingerprint = sha256Hex(canonicalJson({ systemId: system.id, report }));
  const input: IncidentInput = { incidentId, systemId: system.id, reporterId: reporter.id, report, policy: deps.policy };
  const { replayed } = await startProcessOnce(deps, {
    workflowType: workflowTypes.incident,
    workflowId,
    args: [input],
    requestFingerprint,
    searchAttributes: processSearchAttributes(system.id, 'incident', { tier: system.riskTier }),
    what: 'incident report',
  });
  return { incidentId, workflowId, replayed };
}
