import {
  allHandlersFinished,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditEventType } from '../domain/auditEvents';
import type { LifecycleState } from '../domain/lifecycle';
import { intakeRequestSchema, type IntakeRequest } from '../domain/system';
import type { TaskKind } from '../domain/task';
import { triageIntake, triageUnderPolicyAndLaw, type TriageResult } from '../domain/triage';
import { recordKeepingActivities } from './activityOptions';
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
import { commandRefusal, forwardedCommand, isSignedForward, refuseUnsignedCommand } from './signedCommands';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();

/** Intakes triaged before the EU AI Act classification took only the organisation's rules. */
const classifiedUnderTheAiAct = 'eu-ai-act-classification';
/**
 * Triage, the classification with it, runs in the activity that records it: its answer is then in the
 * history, and a later version of the rules never re-tiers a running intake on replay. (Intakes of the
 * day the classification first ran in the workflow keep doing so.)
 */
const triagedInTheRecord = 'triage-in-the-record';
/** Intakes accepted before a triage decider could confirm or override the classification went on with the tier triage gave. */
const triageVerdictFollowed = 'triage-verdict-followed';

/**
 * Intake: registers the AI system, triages it into a risk tier and waits for a governance lead to
 * accept, reject or ask the owner for changes; changes loop back through triage. While triage is
 * open the owner may amend the intake through the triage task, which restarts its approvals on the
 * new version.
 */
export async function intakeWorkflow(input: IntakeWorkflowInput): Promise<IntakeOutcome> {
  return recordingEnd(input.systemId, 'intake', () => runIntake(input));
}

// The awaits of this loop, and of the amendment handler, are written out where they happen rather than
// in helpers: an async helper would move the next command by a microtask, and a command issued in the
// same activation as another coroutine's must come out in the order the recorded histories hold.
async function runIntake(input: IntakeWorkflowInput): Promise<IntakeOutcome> {
  const { systemId, ownerId, policy } = input;
  const run = new IntakeRun(input);
  run.subject = await records().registerSystem({ systemId, ownerId, intake: run.intake, policyVersion: policy.version });
  run.triage = await run.triageVersion(run.subject.version);
  // After registration and the first triage, as the recorded histories were made: buffered messages meet them so.
  setHandler(subjectAmendedSignal, (amended) => run.applyAmendment(amended));
  handleWithdrawal(run);

  for (let round = 1; ; round++) {
    const withdrawn = () => run.finish(round, 'withdrawn', run.withdrawnReason());
    const decision = await run.runHumanTask('intake_triage', ownerId);
    if (decision.status === 'withdrawn' || run.withdrawal) return withdrawn();
    if (decision.status !== 'decided') {
      return decision.status === 'rejected_on_timeout'
        ? run.finish(round, 'rejected', 'triage was not decided in time; policy rejects on timeout for this tier')
        : run.finish(round, 'intake', 'triage was not decided in time; the intake expired', 'system.intake_expired');
    }
    if (decision.choice === 'accept') {
      const acceptedBy = decision.votes.find((vote) => vote.choice === 'accept')!.actorId;
      return onboard(run, round, acceptedBy, decision.taskId);
    }
    if (decision.choice === 'reject') return run.finish(round, 'rejected', 'triage rejected');
    if (round > policy.intake.maxRevisionRounds) {
      return run.finish(round, 'rejected', `changes were requested more than ${policy.intake.maxRevisionRounds} times`);
    }

    // The lead who asked for changes requested the revision; the owner makes it.
    const requestedBy = decision.votes.find((vote) => vote.choice === 'request_changes')!.actorId;
    const revision = await run.runHumanTask('intake_revision', requestedBy);
    if (revision.status === 'withdrawn' || run.withdrawal) return withdrawn();
    if (revision.status !== 'decided') return run.finish(round, 'rejected', 'the requested changes were not submitted in time');
    run.intake = revision.submission as IntakeRequest;
    run.subject = await records().reviseIntake({ systemId, version: run.subject.version + 1, intake: run.intake, actorId: ownerId, reason: 'revision' });
    run.triage = await run.triageVersion(run.subject.version);
  }
}

type Amended = AmendSubjectInput & { taskId: string; forwarded?: ForwardedCommand };

/** One intake's record as it stands, its open task, and how it moves and ends. */
class IntakeRun {
  intake: IntakeRequest;
  subject!: TaskSubject;
  triage!: TriageResult;
  withdrawal: ForwardedWithdrawal | undefined;
  openTaskId: string | undefined;
  finished = false;
  /** Onboarding after triage runs in its own scope, so a withdrawal can stop its assessment and sign-off. */
  onboarding: CancellationScope | undefined;
  /** An amendment is applied once: a copy of its signal sent again (e.g. lifted from the history) changes nothing. */
  private readonly appliedAmendments = new Set<string>();

  constructor(readonly input: IntakeWorkflowInput) {
    this.intake = input.intake;
  }

  async triageVersion(version: number): Promise<TriageResult> {
    const { systemId, policy } = this.input;
    let result: TriageResult;
    if (patched(triagedInTheRecord)) {
      result = await records().triageAndRecord({ systemId, version, intake: this.intake, policy: { triage: policy.triage, aiAct: policy.aiAct } });
    } else {
      result = patched(classifiedUnderTheAiAct) ? triageUnderPolicyAndLaw(this.intake, policy) : triageIntake(this.intake, policy.triage);
      await records().recordTriage({ systemId, version, triage: result });
    }
    upsertSearchAttributes([{ key: searchAttributes.tier, value: result.tier }]);
    return result;
  }

  /** The triage task accepted the owner's amendment; record the new version and hand it back to the task. */
  async applyAmendment({ taskId, actorId, submission, signed, forwarded }: Amended): Promise<void> {
    if (!this.isOwnersAmendment(taskId, { actorId, submission, signed, forwarded })) return;
    if (forwarded) {
      if (this.appliedAmendments.has(forwarded.updateId)) return;
      this.appliedAmendments.add(forwarded.updateId);
    }
    this.intake = intakeRequestSchema.parse(submission);
    this.subject = await records().reviseIntake({
      systemId: this.input.systemId,
      version: this.subject.version + 1,
      intake: this.intake,
      actorId,
      reason: 'amendment',
    });
    this.triage = await this.triageVersion(this.subject.version);
    // Answered by id, not through the child handle: the task waits for this answer whatever the parent's state.
    await getExternalWorkflowHandle(workflowIds.task(taskId)).signal(subjectChangedSignal, {
      subject: this.subject,
      tier: this.triage.tier,
      answering: forwarded?.updateId,
    });
  }

  /** An amendment the owner signed for the open task, which that task accepted and passed on. */
  private isOwnersAmendment(taskId: string, amendment: Omit<Amended, 'taskId'>): boolean {
    const { commandKey } = this.input.policy;
    if (!commandKey) return true;
    const { forwarded } = amendment;
    return (
      forwarded?.name === 'amendSubject' &&
      taskId === this.openTaskId &&
      forwarded.workflowId === workflowIds.task(taskId) &&
      isSignedForward(commandKey, amendment)
    );
  }

  withdrawnReason(): string {
    return `the owner withdrew the intake${this.withdrawal?.reason ? `: ${this.withdrawal.reason}` : ''}`;
  }

  async runHumanTask(kind: TaskKind, requesterId: string): Promise<HumanTaskResult> {
    const { systemId, ownerId, policy } = this.input;
    const { taskId, handle } = await startHumanTask({
      systemId,
      systemOwnerId: ownerId,
      kind,
      tier: this.triage.tier,
      requesterId,
      policy: policy.tasks[kind],
      policyVersion: policy.version,
      commandKey: policy.commandKey,
      subject: this.subject,
    });
    this.openTaskId = taskId;
    // A withdrawal that came while the task was starting reaches it now.
    if (this.withdrawal) await handle.signal(requestWithdrawnSignal, this.withdrawal);
    const result = await handle.result();
    this.openTaskId = undefined;
    return result;
  }

  move(round: number, state: LifecycleState, reason: string) {
    return records().transitionSystem({ systemId: this.input.systemId, to: state, reason, eventKey: `${workflowInfo().workflowId}:round-${round}:${state}` });
  }

  /** Ends the intake in a state; `stalledEvent` names what happened when the state does not change. */
  async finish(round: number, state: LifecycleState, reason: string, stalledEvent?: AuditEventType): Promise<IntakeOutcome> {
    const { systemId } = this.input;
    this.finished = true;
    await condition(allHandlersFinished);
    if (stalledEvent) {
      // Nothing moves, but the intake process ends: say so where governance leads look.
      const key = `${workflowInfo().workflowId}:round-${round}:${stalledEvent}`;
      await records().recordSystemEvent({ systemId, key, type: stalledEvent, data: { reason } });
    } else {
      await this.move(round, state, reason);
    }
    upsertSearchAttributes([{ key: searchAttributes.state, value: state }]);
    return { systemId, state, tier: this.triage.tier, rounds: round };
  }
}

function handleWithdrawal(run: IntakeRun): void {
  const { systemId, ownerId, policy } = run.input;
  setHandler(
    withdrawIntakeUpdate,
    async (request) => {
      run.withdrawal = { ...request, forwarded: forwardedCommand('withdrawIntake') };
      run.onboarding?.cancel();
      if (run.openTaskId) await getExternalWorkflowHandle(workflowIds.task(run.openTaskId)).signal(requestWithdrawnSignal, run.withdrawal);
      return { systemId, state: 'withdrawn' as const };
    },
    {
      validator: (request) => {
        refuseUnsignedCommand(policy.commandKey, 'withdrawIntake', request);
        if (request.actorId !== ownerId) {
          throw commandRefusal(decisionRefusals.notRequester, 'only the system owner can withdraw the intake');
        }
        if (run.finished || run.withdrawal) {
          throw commandRefusal(decisionRefusals.taskClosed, 'this intake has ended; a system in service leaves by retirement');
        }
      },
    },
  );
}

/**
 * After triage accepts: the impact assessment and the risk treatment sign-off, each when the policy
 * requires it for the tier, then into service with the first periodic review due.
 */
async function onboard(run: IntakeRun, round: number, acceptedBy: string, triageTaskId: string): Promise<IntakeOutcome> {
  const { systemId, ownerId, policy } = run.input;
  let tier = run.triage.tier;
  if (patched(triageVerdictFollowed)) {
    ({ tier } = await records().applyTriageVerdict({ systemId, taskId: triageTaskId, subjectHash: run.subject.hash }));
    if (tier !== run.triage.tier) {
      run.triage = { ...run.triage, tier };
      upsertSearchAttributes([{ key: searchAttributes.tier, value: tier }]);
    }
  }
  const move = (state: LifecycleState, reason: string) => run.move(round, state, reason);
  await move('assessment', 'triage accepted');
  if (tier === 'prohibited') {
    // A prohibited practice is never put into service, whatever a triage decided.
    return run.finish(round, 'rejected', 'the prohibited tier cannot be put into service (EU AI Act prohibited practice)');
  }
  // Withdrawn while the system moved to assessment: nothing to cancel yet.
  if (run.withdrawal) return run.finish(round, 'withdrawn', run.withdrawnReason());
  run.onboarding = new CancellationScope();
  const treated = await run.onboarding
    .run(() => assessAndTreat({ systemId, ownerId, requesterId: acceptedBy, tier, policy, move }))
    .catch((error: unknown) => {
      // Withdrawn while being assessed: the assessment and sign-off have closed their records and tasks as cancelled.
      if (run.withdrawal && isCancellation(error)) return undefined;
      throw error;
    });
  run.onboarding = undefined;
  // Also when the assessment and sign-off ended in the very activation that took the withdrawal.
  if (!treated || run.withdrawal) return run.finish(round, 'withdrawn', run.withdrawnReason());
  if (treated.result === 'rejected') return run.finish(round, 'rejected', treated.reason);
  if (treated.result === 'expired') return run.finish(round, treated.stage, treated.reason, `system.${treated.stage}_expired`);

  run.finished = true;
  await condition(allHandlersFinished);
  const nextReviewDue = new Date(Date.now() + policy.review.intervalByTier[tier]).toISOString();
  await records().activateSystem({ systemId, nextReviewDue, reason: treated.reason, eventKey: `${workflowInfo().workflowId}:active` });
  await records().syncReviewSchedule({ systemId, policy });
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'active' }]);
  return { systemId, state: 'active', tier, rounds: round };
}
