import { impactLevelOf, type ImpactAssessment } from '../domain/assessment';
import type { TaskSubject } from '../domain/task';
import { recordKeepingActivities } from './activityOptions';
import { platformPrincipalId, requestWithdrawnSignal, type HumanTaskResult, type ImpactAssessmentInput, type ImpactAssessmentOutcome } from './contracts';
import { noResultUnlessCancelled, recordingEnd } from './cancellation';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/** Nothing has been assessed yet: the first submission task decides on no earlier version. */
const noAssessmentYet: TaskSubject = { hash: '0'.repeat(64), version: 0 };

/** A review that makes approval of this version impossible: the other reviews are then withdrawn. */
const blocksApproval = (result: HumanTaskResult) => result.status === 'rejected_on_timeout' || (result.status === 'decided' && result.choice !== 'approve');
const rejects = (result: HumanTaskResult) => result.status === 'rejected_on_timeout' || (result.status === 'decided' && result.choice === 'reject');
/** Whoever wrote the document: the submitter, and the person they stood in for. */
const authorsOf = (result: HumanTaskResult) => result.votes.flatMap((vote) => [vote.actorId, ...(vote.onBehalfOf ? [vote.onBehalfOf] : [])]);

/**
 * Impact assessment (ISO/IEC 42005): the owner submits a structured assessment; the specialist
 * reviewers the policy names for the tier review that version in parallel, each bound to its hash.
 * All approve: approved, with the impact level of the worst harm named. One rejects: rejected, and the
 * other reviews are withdrawn. Changes requested: the owner submits a new version, within a round limit.
 */
export async function impactAssessmentWorkflow(input: ImpactAssessmentInput): Promise<ImpactAssessmentOutcome> {
  return recordingEnd(input.systemId, 'impact_assessment', () => assessImpact(input));
}

async function assessImpact(input: ImpactAssessmentInput): Promise<ImpactAssessmentOutcome> {
  const { systemId, ownerId, tier, policy } = input;
  const common = { systemId, systemOwnerId: ownerId, tier, policyVersion: policy.version, commandKey: policy.commandKey };
  let previous = noAssessmentYet;

  for (let round = 1, version = input.firstVersion ?? 1; ; round++, version++) {
    const submissionTask = await startHumanTask({
      ...common,
      kind: 'impact_assessment',
      requesterId: input.requesterId,
      policy: policy.tasks.impact_assessment,
      subject: previous,
    });
    const submission = await submissionTask.handle.result();
    if (submission.status !== 'decided') return { outcome: 'expired', version: version - 1, impactLevel: null };
    const content = submission.submission as ImpactAssessment;
    const subject = await records().saveImpactAssessment({ systemId, version, content, submittedBy: submission.votes[0].actorId });

    const reviews = await Promise.all(
      policy.assessment.reviewersByTier[tier].map((role) =>
        startHumanTask({
          ...common,
          kind: 'impact_review',
          // The lead who accepted the intake asked for the assessment; owner and authors never review it.
          requesterId: input.requesterId,
          alsoExcludedIds: authorsOf(submission),
          // A sibling's refusal withdraws it, in the platform's name.
          withdrawableByPlatform: true,
          policy: { ...policy.tasks.impact_review, steps: [{ role, rule: { type: 'any' } }], stepsByTier: {} },
          subject,
        }).then((review) => ({ role, ...review })),
      ),
    );
    const results = await Promise.all(
      reviews.map(async (review) => {
        // A review task that failed (e.g. nobody at all could be seated) gives no verdict, like one that expired.
        const result: HumanTaskResult = await review.handle
          .result()
          .catch((error) => noResultUnlessCancelled(error) ?? { taskId: review.taskId, status: 'expired' as const, votes: [] });
        if (blocksApproval(result)) {
          const decider = result.votes[0]?.actorId;
          const reason = `the ${review.role} review${decider ? ` (${decider})` : ''} did not approve this version`;
          for (const other of reviews) {
            if (other !== review) {
              other.handle.signal(requestWithdrawnSignal, { actorId: platformPrincipalId, reason }).catch(() => undefined);
            }
          }
        }
        return { role: review.role, result };
      }),
    );

    const rejected = results.some(({ result }) => rejects(result));
    const approved = results.every(({ result }) => result.status === 'decided' && result.choice === 'approve');
    const changesAsked = results.some(({ result }) => result.status === 'decided' && result.choice === 'request_changes');
    if (!approved && !rejected && !changesAsked) {
      // Reviewers ran out of time: that is not the owner's failing, and no verdict is recorded for it.
      return { outcome: 'expired', version, impactLevel: null };
    }
    const roundsLeft = round <= policy.assessment.maxRevisionRounds;
    const outcome = approved ? 'approved' : rejected || !roundsLeft ? 'rejected' : 'changes_requested';
    const impactLevel = impactLevelOf(content);
    await records().recordImpactAssessmentOutcome({
      systemId,
      version,
      outcome,
      impactLevel,
      reviews: results.map(({ role, result }) => ({ role, status: result.status, choice: result.status === 'decided' ? result.choice : undefined })),
    });
    if (outcome === 'approved') return { outcome, version, impactLevel };
    if (outcome === 'rejected') return { outcome, version, impactLevel: null };
    previous = subject;
  }
}
