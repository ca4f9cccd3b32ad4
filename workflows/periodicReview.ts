import { ParentClosePolicy, patched, startChild, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Policy } from '../domain/policy';
import type { LifecycleState } from '../domain/lifecycle';
import type { ReviewAttestation, ReviewReason } from '../domain/review';
import type { RiskTier } from '../domain/system';
import type { IntakeRevisedAtReview } from '../domain/triage';
import { recordKeepingActivities } from './activityOptions';
import { assessAndTreat } from './assessAndTreat';
import { recordingEnd } from './cancellation';
import {
  platformPrincipalId,
  processSearchAttributes,
  searchAttributes,
  workflowIds,
  workflowTypes,
  type PeriodicReviewInput,
  type PeriodicReviewOutcome,
  type RetirementInput,
} from './contracts';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/** Reviews before a revised intake came with a changed attestation knew no reclassification at review. */
const reclassifiedAtReview = 'reclassified-at-review';

/**
 * Periodic review: started by the system's schedule, by a person asking now, or by a process that
 * needs a re-assessment (a closed incident, a lapsed risk acceptance). The owner attests that nothing
 * material changed, or what did; a change, or an incident since the last review, starts a
 * re-assessment (impact assessment and risk treatment again). A failed re-assessment suspends the system.
 */
export async function periodicReviewWorkflow(input: PeriodicReviewInput): Promise<PeriodicReviewOutcome> {
  return recordingEnd(input.systemId, 'periodic_review', () => review(input));
}

/** Why a review goes straight to a re-assessment without asking the owner, by what started it. */
function reassessmentUnasked(reason: ReviewReason, fromSuspension: boolean): string | undefined {
  if (fromSuspension) return 'the system was suspended after a failed re-assessment';
  if (reason === 'incident') return 'an incident closed with a re-assessment';
  if (reason === 'risk_acceptance_lapsed') return 'an accepted risk was not re-accepted';
  if (reason === 'deferred_reassessment') return 'a re-assessment was asked for while the system was suspended';
  return undefined;
}

/** Why an attested review needs a re-assessment: a change attested, or incidents or lapsed acceptances since the last review. */
function reassessmentAfterAttestation(
  attestation: ReviewAttestation,
  findings: { incidentsSinceLastReview: number; lapsedAcceptances: number },
): string | undefined {
  if (attestation.status === 'changed') return `the owner attested changes: ${attestation.changes}`;
  if (findings.incidentsSinceLastReview > 0) return `${findings.incidentsSinceLastReview} incident(s) since the last review`;
  if (findings.lapsedAcceptances > 0) return `${findings.lapsedAcceptances} accepted risk(s) lapsed`;
  return undefined;
}

/** The platform asks, whoever triggered the review, so the owner is never excluded from attesting. */
async function ownersAttestation(systemId: string, ownerId: string, tier: RiskTier, policy: Policy) {
  const task = await startHumanTask({
    systemId,
    systemOwnerId: ownerId,
    kind: 'review_attestation',
    tier,
    requesterId: platformPrincipalId,
    policy: policy.tasks.review_attestation,
    policyVersion: policy.version,
    commandKey: policy.commandKey,
    subject: { hash: '0'.repeat(64), version: 0 },
  });
  return task.handle.result();
}

/**
 * A prohibited practice found in service (EU AI Act Art. 5) does not wait for a re-assessment: the
 * system is suspended at once (no review runs, no approval is given) and its retirement starts, asked
 * for by the platform so that any governance lead may approve it. A retirement already running carries on.
 */
async function takeOutOfService(reviewId: string, systemId: string, revised: IntakeRevisedAtReview, attestation: ReviewAttestation, policy: Policy) {
  const why = `the revised intake is a prohibited practice: ${revised.reason}`;
  await records().suspendSystem({ systemId, reason: why, eventKey: `${workflowInfo().workflowId}:suspended` });
  const request = { reason: why, retireOn: new Date().toISOString().slice(0, 10) };
  await startChild(workflowTypes.retirement, {
    workflowId: workflowIds.retirement(systemId),
    args: [{ systemId, requesterId: platformPrincipalId, request, policy } satisfies RetirementInput],
    // The retirement outlives the review that found the practice.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: processSearchAttributes(systemId, 'retirement', { tier: revised.tier, state: 'suspended' }),
  }).catch((error) => {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  });
  const { state } = await records().closeReview({ reviewId, systemId, closing: 'prohibited', reason: why, attestation });
  return state;
}

async function review({ systemId, reason, requesterId, ...input }: PeriodicReviewInput): Promise<PeriodicReviewOutcome> {
  const { workflowId } = workflowInfo();
  const policy = input.policy ?? (await records().currentPolicy());
  const reviewId = uuid4();
  const opened = await records().openReview({ reviewId, systemId, workflowId, reason, requesterId });
  if (opened.status === 'skipped') return { systemId, outcome: 'skipped', state: opened.state, reason: opened.why };
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'under_review' }]);
  const { ownerId } = opened;
  let tier = opened.tier;
  const nextReviewDue = () => new Date(Date.now() + policy.review.intervalByTier[tier]).toISOString();
  const end = (outcome: PeriodicReviewOutcome['outcome'], state: LifecycleState, why: string): PeriodicReviewOutcome => {
    upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);
    return { systemId, outcome, state, reason: why };
  };

  let reassessBecause = reassessmentUnasked(reason, opened.fromSuspension);
  let attestation: ReviewAttestation | undefined;
  if (!reassessBecause) {
    const attested = await ownersAttestation(systemId, ownerId, tier, policy);
    if (attested.status !== 'decided') {
      const why = 'the owner did not attest in time; the review stays overdue';
      const { state } = await records().closeReview({ reviewId, systemId, closing: 'expired', reason: why });
      return end('expired', state, why);
    }
    attestation = attested.submission as ReviewAttestation;
    if (attestation.status === 'changed' && attestation.intake && patched(reclassifiedAtReview)) {
      const revised = await records().reviseIntakeAtReview({
        reviewId,
        systemId,
        intake: attestation.intake,
        actorId: attested.votes[0]?.actorId ?? ownerId,
        policy: { triage: policy.triage, aiAct: policy.aiAct },
      });
      if (revised.prohibited) return end('prohibited', await takeOutOfService(reviewId, systemId, revised, attestation, policy), revised.reason);
      tier = revised.tier;
      upsertSearchAttributes([{ key: searchAttributes.tier, value: tier }]);
    }
    const findings = await records().reviewFindings({ systemId });
    reassessBecause = reassessmentAfterAttestation(attestation, findings);
    if (reassessBecause && findings.state === 'suspended') {
      // An incident suspended the system during the review: its closure decides on a re-assessment, and
      // as this review does not count as one, the next review weighs the incident again.
      const why = `re-assessment deferred while the system is suspended (${reassessBecause})`;
      const { state } = await records().closeReview({ reviewId, systemId, closing: 'deferred', reason: why, attestation });
      return end('deferred', state, why);
    }
  }

  if (!reassessBecause) {
    const due = nextReviewDue();
    const { state } = await records().closeReview({
      reviewId,
      systemId,
      closing: 'unchanged',
      reason: 'the owner attested no material change',
      attestation,
      nextReviewDue: due,
    });
    await records().syncReviewSchedule({ systemId, policy });
    return end('unchanged', state, 'the owner attested no material change');
  }

  const move = (state: LifecycleState, why: string) => records().transitionSystem({ systemId, to: state, reason: why, eventKey: `${workflowId}:${state}` });
  await move('assessment', `re-assessment: ${reassessBecause}`);
  const firstVersions = await records().nextAssessmentVersions({ systemId });
  // Whoever asked for the review asks for the re-assessment; the owner never reviews their own.
  const assessmentRequester = requesterId === ownerId ? platformPrincipalId : requesterId;
  const treated = await assessAndTreat({ systemId, ownerId, requesterId: assessmentRequester, tier, policy, firstVersions, move });
  if (treated.result !== 'treated') {
    const why = `re-assessment ${treated.result}: ${treated.reason}`;
    await records().suspendSystem({ systemId, reason: why, eventKey: `${workflowId}:suspended` });
    const { state } = await records().closeReview({ reviewId, systemId, closing: 'reassessment_failed', reason: why, attestation });
    return end('reassessment_failed', state, why);
  }
  await records().activateSystem({ systemId, nextReviewDue: nextReviewDue(), reason: treated.reason, eventKey: `${workflowId}:active` });
  const { state } = await records().closeReview({ reviewId, systemId, closing: 'reassessed', reason: treated.reason, attestation });
  await records().syncReviewSchedule({ systemId, policy });
  return end('reassessed', state, treated.reason);
}
