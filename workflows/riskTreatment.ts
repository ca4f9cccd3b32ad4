import { ParentClosePolicy, startChild } from '@temporalio/workflow';
import { residualRiskOf, type RiskRegister } from '../domain/risk';
import type { TaskSubject } from '../domain/task';
import { recordKeepingActivities } from './activityOptions';
import { processSearchAttributes, workflowIds, type HumanTaskResult, type RiskTreatmentInput, type RiskTreatmentOutcome } from './contracts';
import { riskAcceptanceWorkflow } from './riskAcceptance';
import { noResultUnlessCancelled, recordingEnd } from './cancellation';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/** Each accepted risk of the signed-off version gets its own watch, which outlives this sign-off. */
async function watchAcceptedRisks({ systemId, ownerId, tier, policy }: RiskTreatmentInput, version: number) {
  for (const risk of await records().recordRiskAcceptances({ systemId, version })) {
    await startChild(riskAcceptanceWorkflow, {
      workflowId: workflowIds.riskAcceptance(systemId, risk.riskId, version),
      args: [{ systemId, ownerId, riskId: risk.riskId, registerVersion: version, residual: risk.residual, expiresAt: risk.expiresAt, tier, policy }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: processSearchAttributes(systemId, 'risk_acceptance', { tier }),
    });
  }
}

const noPlanYet: TaskSubject = { hash: '0'.repeat(64), version: 0 };

/**
 * Risk treatment sign-off (ISO/IEC 23894): the owner proposes a risk register; one sign-off task,
 * whose sequential chain the policy picks by the register's residual risk (for high residual risk the
 * risk officer, then an executive), decides on that version's hash. Changes requested: a new version.
 */
export async function riskTreatmentWorkflow(input: RiskTreatmentInput): Promise<RiskTreatmentOutcome> {
  return recordingEnd(input.systemId, 'risk_treatment', () => treatRisks(input));
}

async function treatRisks(input: RiskTreatmentInput): Promise<RiskTreatmentOutcome> {
  const { systemId, ownerId, tier, policy } = input;
  const common = { systemId, systemOwnerId: ownerId, tier, policyVersion: policy.version, commandKey: policy.commandKey };
  let previous = noPlanYet;

  for (let round = 1, version = input.firstVersion ?? 1; ; round++, version++) {
    const planTask = await startHumanTask({
      ...common,
      kind: 'risk_treatment_plan',
      requesterId: input.requesterId,
      policy: policy.tasks.risk_treatment_plan,
      subject: previous,
    });
    const plan = await planTask.handle.result();
    if (plan.status !== 'decided') return { outcome: 'expired', version: version - 1, residualRisk: null };
    const register = plan.submission as RiskRegister;
    const residualRisk = residualRiskOf(register);
    const subject = await records().saveRiskRegister({ systemId, version, content: register, submittedBy: plan.votes[0].actorId });

    const chain = policy.riskTreatment.signoffByResidual[residualRisk];
    const signoffTask = await startHumanTask({
      ...common,
      kind: 'risk_signoff',
      // The lead who accepted the intake asked for the plan; owner and authors never sign it off.
      requesterId: input.requesterId,
      alsoExcludedIds: plan.votes.flatMap((vote) => [vote.actorId, ...(vote.onBehalfOf ? [vote.onBehalfOf] : [])]),
      policy: { ...policy.tasks.risk_signoff, steps: chain, stepsByTier: {} },
      subject,
    });
    // A sign-off task that failed (e.g. nobody at all could be seated) gives no verdict, like one that expired.
    const signoff: HumanTaskResult = await signoffTask.handle
      .result()
      .catch((error) => noResultUnlessCancelled(error) ?? { taskId: signoffTask.taskId, status: 'expired' as const, votes: [] });
    // Signers running out of time is not the owner's failing: no verdict, the plan waits for the leads.
    if (signoff.status === 'expired' || signoff.status === 'withdrawn') return { outcome: 'expired', version, residualRisk: null };
    const approved = signoff.status === 'decided' && signoff.choice === 'approve';
    const changes = signoff.status === 'decided' && signoff.choice === 'request_changes' && round <= policy.riskTreatment.maxRevisionRounds;
    const outcome = approved ? 'approved' : changes ? 'changes_requested' : 'rejected';
    await records().recordRiskTreatmentOutcome({ systemId, version, outcome });
    if (outcome === 'approved') {
      await watchAcceptedRisks(input, version);
      return { outcome, version, residualRisk };
    }
    if (outcome === 'rejected') return { outcome, version, residualRisk: null };
    previous = subject;
  }
}
