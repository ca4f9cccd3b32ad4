import { continueAsNew, ParentClosePolicy, sleep, startChild } from '@temporalio/workflow';
import { recordKeepingActivities } from './activityOptions';
import { noResultUnlessCancelled, recordingEnd } from './cancellation';
import {
  platformPrincipalId,
  processSearchAttributes,
  workflowIds,
  workflowTypes,
  type PeriodicReviewInput,
  type RiskAcceptanceInput,
  type RiskAcceptanceOutcome,
} from './contracts';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/**
 * One accepted risk (ISO/IEC 23894 risk acceptance): some time before the acceptance expires, the
 * chain that signs off its residual rating decides whether to accept it for another term. Not
 * re-accepted, it lapses and the system goes to a re-assessment. A newer register supersedes it.
 */
export async function riskAcceptanceWorkflow(input: RiskAcceptanceInput): Promise<RiskAcceptanceOutcome> {
  return recordingEnd(input.systemId, 'risk_acceptance', () => watchAcceptance(input));
}

async function watchAcceptance(input: RiskAcceptanceInput): Promise<RiskAcceptanceOutcome> {
  const { systemId, riskId, registerVersion, policy } = input;
  const opensAt = Date.parse(input.expiresAt) - policy.riskTreatment.reacceptanceNotice;
  if (opensAt > Date.now()) await sleep(opensAt - Date.now());

  const due = await records().riskAcceptanceDue({ systemId, riskId, registerVersion, expiresAt: input.expiresAt });
  if (!due.due) return { outcome: 'superseded', expiresAt: input.expiresAt };
  const task = await startHumanTask({
    systemId,
    systemOwnerId: input.ownerId,
    kind: 'risk_reacceptance',
    tier: input.tier,
    requesterId: platformPrincipalId,
    policy: { ...policy.tasks.risk_reacceptance, steps: policy.riskTreatment.signoffByResidual[input.residual], stepsByTier: {} },
    policyVersion: policy.version,
    commandKey: policy.commandKey,
    subject: due.subject,
  });
  // A task nobody could be seated on gives no re-acceptance: the acceptance lapses and a re-assessment follows.
  const decision = await task.handle.result().catch(noResultUnlessCancelled);
  if (decision?.status === 'decided' && decision.choice === 'reaccept') {
    const expiresAt = new Date(Math.max(Date.now(), Date.parse(input.expiresAt)) + policy.riskTreatment.reacceptanceTerm).toISOString();
    await records().recordReacceptance({ systemId, riskId, registerVersion, expiresAt, taskId: task.taskId });
    return continueAsNew<typeof riskAcceptanceWorkflow>({ ...input, expiresAt });
  }

  const why = decision?.status === 'decided' ? 'the re-acceptance was refused' : 'nobody re-accepted the risk in time';
  await records().recordAcceptanceLapsed({ systemId, riskId, registerVersion, reason: why, taskId: task.taskId });
  await startChild(workflowTypes.periodicReview, {
    workflowId: workflowIds.review(systemId, `risk-${riskId}-v${registerVersion}`),
    args: [{ systemId, reason: 'risk_acceptance_lapsed', requesterId: platformPrincipalId, policy } satisfies PeriodicReviewInput],
    // The re-assessment outlives this watch.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: processSearchAttributes(systemId, 'periodic_review', { tier: input.tier }),
  });
  return { outcome: 'lapsed', expiresAt: input.expiresAt };
}
