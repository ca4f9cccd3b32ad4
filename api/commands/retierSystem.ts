import { appendAuditEvent } from '../../db/audit';
import { inTransaction } from '../../db/pool';
import {
  clearDowngradeProposals,
  effectiveState,
  getSystem,
  lockSystem,
  pendingDowngrade,
  proposeDowngrade,
  setRiskTier,
  type AiSystem,
} from '../../db/systems';
import { inServiceStates } from '../../domain/lifecycle';
import type { Principal } from '../../domain/principal';
import { isHigherTier, type RiskTier } from '../../domain/system';
import { workflowIds, workflowTypes, type ReviewScheduleSyncInput } from '../../workflows/contracts';
import { withTemporalDeadline, type ApiDeps } from '../deps';
import { AppError, notFound } from '../errors';

export type Retiering =
  | { status: 'applied'; systemId: string; tier: RiskTier; reviewEveryMs: number | null }
  | { status: 'awaiting_confirmation'; systemId: string; tier: RiskTier | null; proposedTier: RiskTier };

/** The tier set, or the lower tier proposed and waiting for a second governance lead; refusals as errors. */
async function changeTier(deps: ApiDeps, lead: Principal, input: { systemId: string; tier: RiskTier; reason: string }) {
  const { tier, reason } = input;
  return inTransaction(deps.pool, async (db): Promise<{ system: AiSystem; applied: boolean; versionNow: number }> => {
    if (!(await getSystem(db, input.systemId))) throw notFound('the AI system');
    const system = await lockSystem(db, input.systemId);
    if (system.ownerId === lead.id) throw new AppError(403, 'segregation_of_duties', 'a governance lead does not re-tier an AI system they own');
    if (system.state === 'intake') throw new AppError(409, 'in_triage', 'an intake is tiered by its triage: amend the intake instead');
    const state = effectiveState(system);
    if (['rejected', 'withdrawn', 'retiring', 'retired'].includes(state))
      throw new AppError(409, 'not_retierable', `an AI system in state '${state}' is not re-tiered`);
    if (tier === 'prohibited' && inServiceStates.includes(state)) {
      throw new AppError(409, 'prohibited_in_service', 'a prohibited practice is not kept in service: request its retirement instead');
    }
    if (system.riskTier === tier) return { system, applied: true, versionNow: system.version };
    const lowered = system.riskTier !== null && isHigherTier(system.riskTier, tier);
    let proposedBy: string | undefined;
    if (lowered) {
      const proposal = await pendingDowngrade(db, system.id, system.version, tier);
      if (!proposal) {
        await proposeDowngrade(db, {
          systemId: system.id,
          fromTier: system.riskTier!,
          toTier: tier,
          reason,
          proposedBy: lead.id,
          systemVersion: system.version,
        });
        await appendAuditEvent(db, {
          key: `${system.id}:tier_downgrade_proposed:${system.version}:${tier}:${lead.id}`,
          type: 'system.tier_downgrade_proposed',
          systemId: system.id,
          actorId: lead.id,
          data: { from: system.riskTier, to: tier, reason },
        });
        return { system, applied: false, versionNow: system.version };
      }
      if (proposal.proposedBy === lead.id) return { system, applied: false, versionNow: system.version };
      proposedBy = proposal.proposedBy;
    }
    await setRiskTier(db, system.id, tier);
    await clearDowngradeProposals(db, system.id);
    await appendAuditEvent(db, {
      key: `${system.id}:retiered:${system.version}`,
      type: 'system.retiered',
      systemId: system.id,
      actorId: lead.id,
      data: { from: system.riskTier, to: tier, reason, ...(proposedBy && { proposedBy }) },
    });
    return { system, applied: true, versionNow: system.version + 1 };
  });
}

/**
 * A governance lead re-tiers a system after onboarding; never their own. A lower tier weakens every
 * control on the system, so it takes effect only when a second governance lead confirms it (the same
 * request from them). Open tasks keep the tier they opened with; the review interval follows at once,
 * through a workflow, so a retried request after a 503 finds the tier set and brings the schedule along.
 */
export async function retierSystem(deps: ApiDeps, lead: Principal, input: { systemId: string; tier: RiskTier; reason: string }): Promise<Retiering> {
  const { system, applied, versionNow } = await changeTier(deps, lead, input);
  if (!applied) return { status: 'awaiting_confirmation', systemId: system.id, tier: system.riskTier, proposedTier: input.tier };
  if (!inServiceStates.includes(effectiveState(system))) return { status: 'applied', systemId: system.id, tier: input.tier, reviewEveryMs: null };
  const { every } = await withTemporalDeadline(deps, () =>
    deps.temporal.workflow.execute(workflowTypes.reviewScheduleSync, {
      taskQueue: deps.taskQueue,
      // Named by the version the tier change left, so a later change never joins a sync that read an earlier tier.
      workflowId: workflowIds.reviewScheduleSync(system.id, versionNow),
      workflowIdConflictPolicy: 'USE_EXISTING',
      args: [{ systemId: system.id, policy: deps.policy } satisfies ReviewScheduleSyncInput],
    }),
  );
  return { status: 'applied', systemId: system.id, tier: input.tier, reviewEveryMs: every };
}
