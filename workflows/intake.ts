import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LifecycleState } from '../domain/lifecycle';
import { intakeRequestSchema, type IntakeRequest } from '../domain/system';
import type { TaskKind } from '../domain/task';
import { triageIntake, type TriageResult } from '../domain/triage';
import type { Activities } from '../activities';
import {
  decisionRefusals,
  requestWithdrawnSignal,
  searchAttributes,
  subjectAmendedSignal,
  subjectChangedSignal,
  workflowIds,
  type HumanTaskResult,
  type IntakeOutcome,
  type IntakeWorkflowInput,
  type AmendSubjectInput,
  type ForwardedCommand,
  type ForwardedWithdrawal,
  type TaskSubject,
  withdrawIntakeUpdate,
} from './contracts';
import { assessAndTreat } from './assessAndTreat';
import { recordingEnd } from './cancellation';
import { forwardedCommand, isSignedForward, refuseUnsignedCommand } from './signedCommands';
import { startHumanTask } from './startHumanTask';

const { registerSystem, recordTriage, reviseIntake, transitionSystem, recordSystemEvent, activateSystem, syncReviewSchedule } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Every activity is safe to repeat, and an intake must outlast a database outage: retry until it works.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Intake: registers the AI system, triages it into a risk tier and waits for a governance lead to
 * accept, reject or ask the owner for changes; changes loop back through triage. While triage is
 * open the owner may amend the intake through the triage task, which restarts its approvals on the
 * new version.
 */
export async function intakeWorkflow(input: IntakeWorkflowInput): Promise<IntakeOutcome> {
  return recordingEnd(input.systemId, 'intake', () => runIntake(input));
}

async function runIntake(input: IntakeWorkflowInput): Promise<IntakeOutcome> {
  const { systemId, ownerId, policy } = input;
  let intake: IntakeRequest = input.intake;
  let subject: TaskSubject = await registerSystem({ systemId, ownerId, intake, policyVersion: policy.version });
  let triage: TriageResult = await triageVersion(subject.version);

  async function triageVersion(version: number): Promise<TriageResult> {
    const result = triageIntake(intake, policy.triage);
    await recordTriage({ systemId, version, triage: result });
    upsertSearchAttributes([{ key: searchAttributes.tier, value: result.tier }]);
    return result;
  }

  // The triage task accepted the owner's amendment; record the new version and hand it back to the task.
  // An amendment is applied once: a copy of its signal sent again (e.g. lifted from the history) changes nothing.
  const appliedAmendments = new Set<string>();
  setHandler(subjectAmendedSignal, async ({ taskId, actorId, submission, signed, forwarded }) => {
    if (!isOwnersAmendment(taskId, { actorId, submission, signed, forwarded })) return;
    if (forwarded) {
      if (appliedAmendments.has(forwarded.updateId)) return;
      appliedAmendments.add(forwarded.updateId);
    }
    intake = intakeRequestSchema.parse(submission);
    subject = await reviseIntake({ systemId, version: subject.version + 1, intake, actorId, reason: 'amendment' });
    triage = await triageVersion(subject.version);
    // Answered by id, not through the child handle: the task waits for this answer whatever the parent's state.
    await getExternalWorkflowHandle(workflowIds.task(taskId)).signal(subjectChangedSignal, { subject, tier: triage.tier, answering: forwarded?.updateId });
  });
  /** An amendment the owner signed for the open task, which that task accepted and passed on. */
  function isOwnersAmendment(taskId: string, amendment: AmendSubjectInput & { forwarded?: ForwardedCommand }): boolean {
    if (!policy.commandKey) return true;
    const { forwarded } = amendment;
    return forwarded?.name === 'amendSubject' && taskId === openTaskId && forwarded.workflowId === workflowIds.task(taskId) && isSignedForward(policy.commandKey, amendment);
  }

  let withdrawal: ForwardedWithdrawal | undefined;
  const withdrawnReason = () => `the owner withdrew the intake${withdrawal?.reason ? `: ${withdrawal.reason}` : ''}`;
  let openTaskId: string | undefined;
  let finished = false;
  // Onboarding after triage runs in its own scope, so a withdrawal can stop its assessment and sign-off.
  let onboarding: CancellationScope | undefined;

  setHandler(
    withdrawIntakeUpdate,
    async (request) => {
      withdrawal = { ...request, forwarded: forwardedCommand('withdrawIntake') };
      onboarding?.cancel();
      if (openTaskId) await getExternalWorkflowHandle(workflowIds.task(openTaskId)).signal(requestWithdrawnSignal, withdrawal);
      return { systemId, state: 'withdrawn' as const };
    },
    {
      validator: (request) => {
        refuseUnsignedCommand(policy.commandKey, 'withdrawIntake', request);
        if (request.actorId !== ownerId) {
          throw ApplicationFailure.create({ type: decisionRefusals.notRequester, message: 'only the system owner can withdraw the intake', nonRetryable: true });
        }
        if (finished || withdrawal) {
          throw ApplicationFailure.create({ type: decisionRefusals.taskClosed, message: 'this intake has ended; a system in service leaves by retirement', nonRetryable: true });
        }
      },
    },
  );

  const runHumanTask = async (kind: TaskKind, requesterId: string): Promise<HumanTaskResult> => {
    const { taskId, handle } = await startHumanTask({
      systemId,
      systemOwnerId: ownerId,
      kind,
      tier: triage.tier,
      requesterId,
      policy: policy.tasks[kind],
      policyVersion: policy.version,
      commandKey: policy.commandKey,
      subject,
    });
    openTaskId = taskId;
    // A withdrawal that came while the task was starting reaches it now.
    if (withdrawal) await handle.signal(requestWithdrawnSignal, withdrawal);
    const result = await handle.result();
    openTaskId = undefined;
    return result;
  };

  /**
   * After triage accepts: the impact assessment and the risk treatment sign-off, each when the policy
   * requires it for the tier, then into service with the first periodic review due.
   */
  async function onboard(
    round: number,
    acceptedBy: string,
    move: (state: LifecycleState, reason: string) => Promise<void>,
    finish: (state: LifecycleState, reason: string, stalledEvent?: string) => Promise<IntakeOutcome>,
  ): Promise<IntakeOutcome> {
    const tier = triage.tier;
    await move('assessment', 'triage accepted');
    if (tier === 'prohibited') {
      // A prohibited practice is never put into service, whatever a triage decided.
      return finish('rejected', 'the prohibited tier cannot be put into service (EU AI Act prohibited practice)');
    }
    // Withdrawn while the system moved to assessment: nothing to cancel yet.
    if (withdrawal) return finish('withdrawn', withdrawnReason());
    onboarding = new CancellationScope();
    const treated = await onboarding
      .run(() => assessAndTreat({ systemId, ownerId, requesterId: acceptedBy, tier, policy, move }))
      .catch((error: unknown) => {
        // Withdrawn while being assessed: the assessment and sign-off have closed their records and tasks as cancelled.
        if (withdrawal && isCancellation(error)) return undefined;
        throw error;
      });
    onboarding = undefined;
    // Also when the assessment and sign-off ended in the very activation that took the withdrawal.
    if (!treated || withdrawal) return finish('withdrawn', withdrawnReason());
    if (treated.result === 'rejected') return finish('rejected', treated.reason);
    if (treated.result === 'expired') return finish(treated.stage, treated.reason, `system.${treated.stage}_expired`);

    finished = true;
    await condition(allHandlersFinished);
    const nextReviewDue = new Date(Date.now() + policy.review.intervalByTier[tier]).toISOString();
    await activateSystem({ systemId, nextReviewDue, reason: treated.reason, eventKey: `${workflowInfo().workflowId}:active` });
    await syncReviewSchedule({ systemId, policy });
    upsertSearchAttributes([{ key: searchAttributes.state, value: 'active' }]);
    return { systemId, state: 'active', tier, rounds: round };
  }

  for (let round = 1; ; round++) {
    const move = (state: LifecycleState, reason: string) =>
      transitionSystem({ systemId, to: state, reason, eventKey: `${workflowInfo().workflowId}:round-${round}:${state}` });
    /** Ends the intake in a state; `stalledEvent` names what happened when the state does not change. */
    const finish = async (state: LifecycleState, reason: string, stalledEvent?: string): Promise<IntakeOutcome> => {
      finished = true;
      await condition(allHandlersFinished);
      if (stalledEvent) {
        // Nothing moves, but the intake process ends: say so where governance leads look.
        const key = `${workflowInfo().workflowId}:round-${round}:${stalledEvent}`;
        await recordSystemEvent({ systemId, key, type: stalledEvent, data: { reason } });
      } else {
        await move(state, reason);
      }
      upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);
      return { systemId, state, tier: triage.tier, rounds: round };
    };

    const withdrawn = () => finish('withdrawn', withdrawnReason());
    const decision = await runHumanTask('intake_triage', ownerId);
    if (decision.status === 'withdrawn' || withdrawal) return withdrawn();
    if (decision.status !== 'decided') {
      return decision.status === 'rejected_on_timeout'
        ? finish('rejected', 'triage was not decided in time; policy rejects on timeout for this tier')
        : finish('intake', 'triage was not decided in time; the intake expired', 'system.intake_expired');
    }
    if (decision.choice === 'accept') {
      const acceptedBy = decision.votes.find((vote) => vote.choice === 'accept')!.actorId;
      return onboard(round, acceptedBy, move, finish);
    }
    if (decision.choice === 'reject') return finish('rejected', 'triage rejected');
    if (round > policy.intake.maxRevisionRounds) {
      return finish('rejected', `changes were requested more than ${policy.intake.maxRevisionRounds} times`);
    }

    // The lead who asked for changes requested the revision; the owner makes it.
    const requestedBy = decision.votes.find((vote) => vote.choice === 'request_changes')!.actorId;
    const revision = await runHumanTask('intake_revision', requestedBy);
    if (revision.status === 'withdrawn' || withdrawal) return withdrawn();
    if (revision.status !== 'decided') return finish('rejected', 'the requested changes were not submitted in time');
    intake = revision.submission as IntakeRequest;
    subject = await reviseIntake({ systemId, version: subject.version + 1, intake, actorId: ownerId, reason: 'revision' });
    triage = await triageVersion(subject.version);
  }
}
