import {
  ActivityCancellationType,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { findUnstorableText, unstorableTextMessage } from '../domain/fields';
import type { SeatMove } from '../domain/seatRules';
import { amendmentRefusal, decisionRefusal, reassignerRefusal, withdrawalRefusal } from '../domain/taskRefusals';
import type { Activities } from '../activities';
import { recordKeeping, recordKeepingActivities } from './activityOptions';
import { unstorableData } from './cancellation';
import { commandRefusal, forwardedCommand, refuseUnsignedCommand } from './signedCommands';
import { TaskRun } from './taskRun';
import {
  amendSubjectUpdate,
  decideTaskUpdate,
  decisionRefusals,
  delegateTaskUpdate,
  reassignTaskUpdate,
  requestWithdrawnSignal,
  subjectAmendedSignal,
  subjectChangedSignal,
  taskProgressQuery,
  withdrawTaskUpdate,
  type DecideTaskInput,
  type DecideTaskResult,
  type HumanTaskInput,
  type HumanTaskResult,
  type TaskChangeResult,
} from './contracts';

// A cancelled task closes only after an opening in flight has committed, so nothing opens behind the close.
const cancellationType = ActivityCancellationType.WAIT_CANCELLATION_COMPLETED;
const records = recordKeepingActivities({ cancellationType });
/**
 * Closing stays an activity scheduled on the server, so the workflow task that records a decision
 * never also ends the workflow: the server aborts an Update whose workflow task fails, and one that
 * ends the workflow fails (UnhandledCommand) whenever an email activity reports in the meantime.
 */
const { closeTask } = proxyActivities<Activities>({ ...recordKeeping, cancellationType });
const { deliverEmail } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});

/**
 * Emails go out beside the task, never in its way: a slow mail server must not delay a decision.
 * An email still undelivered when the task closes is moot, and the outbox keeps it unsent.
 */
function sendInBackground(emailKeys: string[]): void {
  for (const key of emailKeys) deliverEmail(key).catch(() => undefined);
}

/** A rule's refusal as the failure an Update validator throws, which the api maps to its answer. */
function refuseIf(refusal: { reason: keyof typeof decisionRefusals; message: string } | undefined): void {
  if (refusal) throw commandRefusal(decisionRefusals[refusal.reason], refusal.message);
}

/** What the task would record must be storable: a refusal now, not an activity that can never succeed. */
function refuseUnstorableText(request: object): void {
  const path = findUnstorableText(request);
  if (path) throw commandRefusal(decisionRefusals.invalidSubmission, `${path.join('.')}: ${unstorableTextMessage}`);
}

/**
 * One human step (DESIGN.md §5): opens the task, walks its approval chain step by step, waits for
 * each step's rule, reminds at policy points, climbs the escalation ladder on each missed deadline,
 * and closes with the outcome. Decisions, delegation, reassignment and withdrawal arrive as Updates.
 */
export async function humanTaskWorkflow(input: HumanTaskInput): Promise<HumanTaskResult> {
  try {
    return await runTask(input);
  } catch (error) {
    // The process this task belongs to was cancelled (e.g. its system is retiring): close the task, with audit.
    // An activity attempt that failed after the cancel request arrives as its own failure, not as a cancellation.
    if (isCancellation(error) || CancellationScope.current().consideredCancelled) {
      await CancellationScope.nonCancellable(() =>
        closeTask({
          taskId: input.taskId,
          systemId: input.systemId,
          status: 'cancelled',
          outcome: null,
          actorId: null,
          reason: 'the process it belonged to was cancelled',
        }),
      );
    }
    throw error;
  }
}

async function runTask(input: HumanTaskInput): Promise<HumanTaskResult> {
  const run = new TaskRun(input);
  setHandler(taskProgressQuery, () => run.progress());
  setHandler(subjectChangedSignal, (change) => run.acceptSubject(change));
  // Registered in the order the recorded histories were made under: buffered messages meet them so.
  handleDecisions(run);
  handleSeatMoves(run);
  handleParentWithdrawal(run);
  handleAmendments(run);
  handleWithdrawals(run);

  if (!input.carried) {
    const opened = await records().openTask({ ...run.stepOpening(), kind: input.kind, requesterId: input.requesterId, policyVersion: input.policyVersion });
    run.state.assignees = opened.assignees;
    run.state.stepOpened = true;
    sendInBackground(opened.emailKeys);
  }
  for (;;) {
    if (!run.state.stepOpened) {
      const opened = await records().openTaskStep(run.stepOpening());
      run.state.assignees = opened.assignees;
      run.state.stepOpened = true;
      sendInBackground(opened.emailKeys);
    }
    await waitOutStep(run);
    await condition(allHandlersFinished);
    // A decision taken back because it could not be stored leaves the step waiting, while its ladder lasts.
    if (!run.stopWaiting() && run.policy.escalationLadder[run.state.escalationLevel]) continue;
    if (run.nextCycle() === 'done') break;
  }
  return closeWithOutcome(run);
}

/** A command refused by the state of the task, before any rule of who may do what. */
function ensureOpen(run: TaskRun): void {
  refuseIf(run.opennessRefusal());
}

/** Waits for the step's outcome, reminding at the policy's points and climbing the ladder at each deadline. */
async function waitOutStep(run: TaskRun): Promise<void> {
  const { input, state, policy } = run;
  const continueAsNewDue = () =>
    workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && workflowInfo().historyLength > input.historyLimit);
  const reminderTimes = policy.reminderPoints.map((point) => state.stepOpenedAt + Math.round(point * run.sla())).sort((a, b) => a - b);
  while (!run.stopWaiting()) {
    if (continueAsNewDue()) {
      await condition(allHandlersFinished);
      if (!run.stopWaiting()) await continueAsNew<typeof humanTaskWorkflow>({ ...input, carried: state });
    }
    const nextReminder = reminderTimes[state.remindersSent];
    const wakeAt = nextReminder !== undefined && nextReminder < state.dueAt ? nextReminder : state.dueAt;
    // Also woken by a history grown long from Updates alone, which would otherwise wait for the next deadline.
    if (await condition(() => run.stopWaiting() || continueAsNewDue(), Math.max(wakeAt - Date.now(), 1))) continue;
    // A decision and the timer can land together; the decision wins.
    if (run.stopWaiting()) continue;

    if (wakeAt !== state.dueAt) {
      state.remindersSent += 1;
      const reminded = await records().remindAssignees({
        taskId: input.taskId,
        systemId: input.systemId,
        reminderNumber: state.remindersSent,
        assigneeIds: state.assignees.map((assignee) => assignee.principalId),
        cycle: run.cycle(),
      });
      sendInBackground(reminded.emailKeys);
      continue;
    }

    const level = policy.escalationLadder[state.escalationLevel];
    if (!level) return;
    state.escalationLevel += 1;
    state.dueAt = Date.now() + level.window;
    const escalated = await records().escalateTask({
      taskId: input.taskId,
      systemId: input.systemId,
      level: state.escalationLevel,
      action: level.action,
      target: level.target,
      assignees: state.assignees,
      excludedIds: [...run.excludedIds, ...run.votersAndRepresented()],
      dueAt: new Date(state.dueAt).toISOString(),
      cycle: run.cycle(),
    });
    state.assignees = escalated.assignees;
    sendInBackground(escalated.emailKeys);
  }
}

async function closeWithOutcome(run: TaskRun): Promise<HumanTaskResult> {
  const { taskId, systemId } = run.input;
  const { state } = run;
  if (state.withdrawal) {
    run.status = 'withdrawn';
    await closeTask({ taskId, systemId, status: run.status, outcome: null, actorId: state.withdrawal.actorId, reason: state.withdrawal.reason });
    return { taskId, status: run.status, votes: state.votes, withdrawnBy: state.withdrawal.actorId };
  }
  if (run.settled !== undefined) {
    run.status = 'decided';
    await closeTask({ taskId, systemId, status: run.status, outcome: run.settled, actorId: null, reason: null });
    return { taskId, status: run.status, choice: run.settled, votes: state.votes, submission: state.submission };
  }
  const status = run.policy.timeoutOutcomeByTier[state.tier] === 'reject' ? 'rejected_on_timeout' : 'expired';
  run.status = status;
  await closeTask({ taskId, systemId, status, outcome: null, actorId: null, reason: 'no decision before the last deadline of the escalation ladder' });
  return { taskId, status, votes: state.votes };
}

function handleDecisions(run: TaskRun): void {
  const { input, state, definition } = run;
  setHandler(
    decideTaskUpdate,
    async (decision: DecideTaskInput): Promise<DecideTaskResult> => {
      const updateId = currentUpdateInfo()!.id;
      const earlier = run.recorded<DecideTaskResult>();
      if (earlier) return earlier;
      const { vote, chainDone, withdraw } = run.castVote(decision);
      try {
        await records().recordDecision({
          taskId: input.taskId,
          systemId: input.systemId,
          updateId,
          ...vote,
          snapshotHash: decision.snapshotHash,
          comment: decision.comment ?? null,
          submission: decision.submission ?? null,
        });
      } catch (error) {
        if (!unstorableData(error)) throw error;
        // Never stored, so never counted: the task stays open for a decision that can be.
        withdraw();
        throw commandRefusal(
          decisionRefusals.invalidSubmission,
          'the decision could not be stored, so it was not recorded; change what you entered and decide again',
        );
      }
      return run.remember(updateId, { taskId: input.taskId, choice: decision.choice, onBehalfOf: vote.onBehalfOf, taskStatus: chainDone ? 'decided' : 'open' });
    },
    {
      validator: (decision: DecideTaskInput) => {
        refuseUnsignedCommand(input.commandKey, 'decideTask', decision);
        if (run.recorded()) return;
        ensureOpen(run);
        refuseUnstorableText(decision);
        refuseIf(
          decisionRefusal(decision, {
            choices: definition.choices,
            excludedIds: run.excludedIds,
            assigneeIds: state.assignees.map((assignee) => assignee.principalId),
            // One person, one vote per task: votes of earlier steps count too, until a changed subject restarts it all.
            voterIds: state.votes.map((vote) => vote.actorId),
            subjectHash: state.subject.hash,
            submissionSchema: definition.submissionSchema,
          }),
        );
      },
    },
  );
}

function handleSeatMoves(run: TaskRun): void {
  const { input } = run;
  const moveSeat = async (change: SeatMove['change'], actorId: string, fromId: string, toId: string, reason: string | null) => {
    const updateId = currentUpdateInfo()!.id;
    const earlier = run.recorded<TaskChangeResult>();
    if (earlier) return earlier;
    const onBehalfOf = run.moveSeat(change, fromId, toId);
    const changed = await records().changeAssignee({
      taskId: input.taskId,
      systemId: input.systemId,
      change,
      actorId,
      fromId,
      toId,
      onBehalfOf,
      reason,
      updateId,
    });
    sendInBackground(changed.emailKeys);
    return run.remember(updateId, run.changeResult());
  };

  setHandler(delegateTaskUpdate, (request) => moveSeat('delegated', request.actorId, request.actorId, request.toId, request.reason ?? null), {
    validator: (request) => {
      refuseUnsignedCommand(input.commandKey, 'delegateTask', request);
      if (run.recorded()) return;
      ensureOpen(run);
      refuseUnstorableText(request);
      refuseIf(run.seatMoveRefusal('delegated', request, request.actorId));
    },
  });

  setHandler(reassignTaskUpdate, (request) => moveSeat('reassigned', request.actorId, request.fromId, request.toId, request.reason), {
    validator: (request) => {
      refuseUnsignedCommand(input.commandKey, 'reassignTask', request);
      if (run.recorded()) return;
      ensureOpen(run);
      refuseUnstorableText(request);
      refuseIf(reassignerRefusal(request.actorId, { excludedIds: run.excludedIds, decidedByOwner: Boolean(run.definition.decidedByOwner) }));
      refuseIf(run.seatMoveRefusal('reassigned', request, request.fromId));
    },
  });
}

/** The parent's process withdrawn (the intake, by its owner): the task ends with it. */
function handleParentWithdrawal(run: TaskRun): void {
  const { state } = run;
  setHandler(requestWithdrawnSignal, (request) => {
    if (!run.isAuthorisedWithdrawal(request)) return;
    if (run.status === 'open' && run.settled === undefined && !state.withdrawal)
      state.withdrawal = { actorId: request.actorId, reason: request.reason ?? null };
  });
}

function handleWithdrawals(run: TaskRun): void {
  const { input, state } = run;
  setHandler(
    withdrawTaskUpdate,
    (request) => {
      const earlier = run.recorded<TaskChangeResult>();
      if (earlier) return earlier;
      state.withdrawal = { actorId: request.actorId, reason: request.reason ?? null };
      return run.remember(currentUpdateInfo()!.id, { taskId: input.taskId, assignees: state.assignees, taskStatus: 'withdrawn' } satisfies TaskChangeResult);
    },
    {
      validator: (request) => {
        refuseUnsignedCommand(input.commandKey, 'withdrawTask', request);
        if (run.recorded()) return;
        ensureOpen(run);
        refuseUnstorableText(request);
        refuseIf(withdrawalRefusal(request.actorId, input.requesterId));
      },
    },
  );
}

function handleAmendments(run: TaskRun): void {
  const { input, state } = run;
  setHandler(
    amendSubjectUpdate,
    async (amendment) => {
      const earlier = run.recorded<typeof state.subject>();
      if (earlier) return earlier;
      const updateId = currentUpdateInfo()!.id;
      // Decisions wait while the parent records the new version, then meet the new hash.
      run.amendmentPending = updateId;
      const before = state.subject.version;
      await getExternalWorkflowHandle(workflowInfo().parent!.workflowId).signal(subjectAmendedSignal, {
        ...amendment,
        taskId: input.taskId,
        forwarded: forwardedCommand('amendSubject'),
      });
      await condition(() => state.subject.version > before);
      run.amendmentPending = undefined;
      return run.remember(updateId, state.subject);
    },
    {
      validator: (amendment) => {
        refuseUnsignedCommand(input.commandKey, 'amendSubject', amendment);
        if (run.recorded()) return;
        ensureOpen(run);
        refuseUnstorableText(amendment);
        refuseIf(
          amendmentRefusal(amendment, {
            amendmentSchema: run.definition.amendmentSchema,
            hasParent: Boolean(workflowInfo().parent),
            systemOwnerId: input.systemOwnerId,
          }),
        );
      },
    },
  );
}
