import {
  ActivityCancellationType,
  ApplicationFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  currentUpdateInfo,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { findUnstorableText, unstorableTextMessage } from '../domain/fields';
import { approvalChainFor, escalationRoles } from '../domain/policy';
import type { Role } from '../domain/principal';
import { seatMoveRefusal, type SeatMove } from '../domain/seatRules';
import { settledChoice, taskKinds, type TaskStatus } from '../domain/task';
import { amendmentRefusal, decisionRefusal, opennessRefusal, reassignerRefusal, withdrawalRefusal } from '../domain/taskRefusals';
import type { Activities } from '../activities';
import { unstorableData } from './cancellation';
import { forwardedCommand, isSignedForward, refuseUnsignedCommand } from './signedCommands';
import {
  amendSubjectUpdate,
  decideTaskUpdate,
  decisionRefusals,
  delegateTaskUpdate,
  platformPrincipalId,
  reassignTaskUpdate,
  requestWithdrawnSignal,
  subjectAmendedSignal,
  subjectChangedSignal,
  taskProgressQuery,
  withdrawTaskUpdate,
  type CarriedTaskState,
  type DecideTaskInput,
  type DecideTaskResult,
  type ForwardedWithdrawal,
  type HumanTaskInput,
  type HumanTaskResult,
  type TaskChangeResult,
} from './contracts';

const { openTask, openTaskStep, recordDecision, remindAssignees, escalateTask, changeAssignee, closeTask } =
  proxyActivities<Activities>({
    startToCloseTimeout: '30 seconds',
    // Every activity is safe to repeat, and a task must outlast a database outage: retry until it works.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    // A cancelled task closes only after an opening in flight has committed, so nothing opens behind the close.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
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

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });
/** A rule's refusal as the failure an Update validator throws, which the api maps to its answer. */
function refuseIf(refusal: { reason: keyof typeof decisionRefusals; message: string } | undefined): void {
  if (refusal) throw refuse(decisionRefusals[refusal.reason], refusal.message);
}

/** What the task would record must be storable: a refusal now, not an activity that can never succeed. */
function refuseUnstorableText(request: object): void {
  const path = findUnstorableText(request);
  if (path) throw refuse(decisionRefusals.invalidSubmission, `${path.join('.')}: ${unstorableTextMessage}`);
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
        closeTask({ taskId: input.taskId, systemId: input.systemId, status: 'cancelled', outcome: null, actorId: null, reason: 'the process it belonged to was cancelled' }),
      );
    }
    throw error;
  }
}

async function runTask(input: HumanTaskInput): Promise<HumanTaskResult> {
  const { taskId, systemId, kind, policy } = input;
  const definition = taskKinds[kind];
  const excludedIds = [
    ...(definition.decidedByOwner ? [input.requesterId] : [input.requesterId, input.systemOwnerId]),
    ...(input.alsoExcludedIds ?? []),
  ];
  const startedAt = Date.now();
  const state: CarriedTaskState = input.carried ?? {
    tier: input.tier,
    step: 0,
    stepOpened: false,
    subject: input.subject,
    assignees: [],
    votes: [],
    stepOpenedAt: startedAt,
    dueAt: startedAt + policy.slaByTier[input.tier],
    remindersSent: 0,
    escalationLevel: 0,
    withdrawal: null,
    submission: undefined,
    processedUpdates: {},
  };
  let status: TaskStatus = 'open';
  let settled: string | undefined;
  let subjectChanged = false;
  let stepDone = false;
  // The Update id of the amendment the parent is recording, whose answer alone may change the subject.
  let amendmentPending: string | undefined;
  // The tier can rise while the task is open (an amended intake): chain, SLA and timeout follow it.
  const chain = () => approvalChainFor(policy, state.tier);
  const sla = () => policy.slaByTier[state.tier];
  const stepVotes = () => state.votes.filter((vote) => vote.step === state.step);
  const cycle = () => `${state.step}.${state.subject.version}`;
  const recorded = <T>() => state.processedUpdates[currentUpdateInfo()!.id] as T | undefined;
  const ensureOpen = () =>
    refuseIf(
      opennessRefusal({
        stepOpened: state.stepOpened,
        open: status === 'open',
        amending: amendmentPending !== undefined || subjectChanged,
        concluded: stepDone || settled !== undefined || Boolean(state.withdrawal),
      }),
    );
  const changeResult = (): TaskChangeResult => ({ taskId, assignees: state.assignees, taskStatus: status });
  // Whoever voted, and whoever a delegate voted for: none of them is seated again in this task.
  const votersAndRepresented = () => state.votes.flatMap((vote) => (vote.onBehalfOf ? [vote.actorId, vote.onBehalfOf] : [vote.actorId]));

  setHandler(taskProgressQuery, () => ({
    taskId,
    status,
    step: state.step,
    subject: state.subject,
    assignees: state.assignees,
    votes: state.votes,
    escalationLevel: state.escalationLevel,
    dueAt: new Date(state.dueAt).toISOString(),
  }));

  setHandler(subjectChangedSignal, ({ subject, tier, answering }) => {
    // Only the answer to this task's own pending amendment, and only the version right after its own.
    if (input.commandKey && (amendmentPending === undefined || answering !== amendmentPending || subject.version !== state.subject.version + 1)) return;
    if (subject.version <= state.subject.version) return;
    state.subject = subject;
    state.tier = tier;
    subjectChanged = true;
  });

  setHandler(
    decideTaskUpdate,
    async (decision: DecideTaskInput): Promise<DecideTaskResult> => {
      const updateId = currentUpdateInfo()!.id;
      const earlier = recorded<DecideTaskResult>();
      if (earlier) return earlier;
      const seat = state.assignees.find((assignee) => assignee.principalId === decision.actorId)!;
      const vote = { actorId: decision.actorId, onBehalfOf: seat.onBehalfOf, choice: decision.choice, step: state.step };
      // Counted before the first await, so a concurrent second decision already sees the step settled.
      state.votes.push(vote);
      const stepChoice = settledChoice(chain()[state.step].rule, definition.approvingChoice, state.assignees.length, stepVotes());
      const chainDone = stepChoice !== undefined && (stepChoice !== definition.approvingChoice || state.step === chain().length - 1);
      if (chainDone) settled = stepChoice;
      if (stepChoice !== undefined) stepDone = true;
      const submissionBefore = state.submission;
      if (definition.submissionSchema) state.submission = definition.submissionSchema.parse(decision.submission);
      try {
        await recordDecision({
          taskId,
          systemId,
          updateId,
          ...vote,
          snapshotHash: decision.snapshotHash,
          comment: decision.comment ?? null,
          submission: decision.submission ?? null,
        });
      } catch (error) {
        if (!unstorableData(error)) throw error;
        // Never stored, so never counted: the task stays open for a decision that can be.
        state.votes = state.votes.filter((cast) => cast !== vote);
        if (chainDone) settled = undefined;
        if (stepChoice !== undefined) stepDone = false;
        state.submission = submissionBefore;
        throw refuse(decisionRefusals.invalidSubmission, 'the decision could not be stored, so it was not recorded; change what you entered and decide again');
      }
      const result: DecideTaskResult = { taskId, choice: decision.choice, onBehalfOf: seat.onBehalfOf, taskStatus: chainDone ? 'decided' : 'open' };
      state.processedUpdates[updateId] = result;
      return result;
    },
    {
      validator: (decision: DecideTaskInput) => {
        refuseUnsignedCommand(input.commandKey, 'decideTask', decision);
        if (recorded()) return;
        ensureOpen();
        refuseUnstorableText(decision);
        refuseIf(
          decisionRefusal(decision, {
            choices: definition.choices,
            excludedIds,
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

  const validateSeatMove = (change: SeatMove['change'], request: { actorId: string; toId: string; toRoles?: Role[] }, fromId: string) => {
    const refusal = seatMoveRefusal({
      change,
      actorId: request.actorId,
      fromId,
      toId: request.toId,
      toRoles: request.toRoles ?? [],
      seatRole: chain()[state.step].role,
      alsoAllowedRoles: change === 'reassigned' ? escalationRoles(policy) : (policy.delegateRoles ?? []),
      heldOnBehalfOf: state.assignees.find((assignee) => assignee.principalId === fromId)?.onBehalfOf ?? null,
      excludedIds,
      assigneeIds: state.assignees.map((assignee) => assignee.principalId),
      voterIds: votersAndRepresented(),
      representedIds: state.assignees.flatMap((assignee) => (assignee.onBehalfOf && assignee.principalId !== fromId ? [assignee.onBehalfOf] : [])),
    });
    refuseIf(refusal);
  };
  const moveSeat = async (change: 'delegated' | 'reassigned', actorId: string, fromId: string, toId: string, reason: string | null) => {
    const updateId = currentUpdateInfo()!.id;
    const earlier = recorded<TaskChangeResult>();
    if (earlier) return earlier;
    const seat = state.assignees.find((assignee) => assignee.principalId === fromId)!;
    // A delegate stands in for the original assignee, until handing the seat back; a reassignment hands it over outright.
    const handsBack = change === 'delegated' && seat.onBehalfOf === toId && patched('delegate-hands-seat-back');
    const onBehalfOf = change === 'delegated' && !handsBack ? (seat.onBehalfOf ?? fromId) : null;
    state.assignees = state.assignees.map((assignee) => (assignee.principalId === fromId ? { principalId: toId, onBehalfOf } : assignee));
    const changed = await changeAssignee({ taskId, systemId, change, actorId, fromId, toId, onBehalfOf, reason, updateId });
    sendInBackground(changed.emailKeys);
    const result = changeResult();
    state.processedUpdates[updateId] = result;
    return result;
  };

  setHandler(delegateTaskUpdate, (request) => moveSeat('delegated', request.actorId, request.actorId, request.toId, request.reason ?? null), {
    validator: (request) => {
      refuseUnsignedCommand(input.commandKey, 'delegateTask', request);
      if (recorded()) return;
      ensureOpen();
      refuseUnstorableText(request);
      validateSeatMove('delegated', request, request.actorId);
    },
  });

  setHandler(reassignTaskUpdate, (request) => moveSeat('reassigned', request.actorId, request.fromId, request.toId, request.reason), {
    validator: (request) => {
      refuseUnsignedCommand(input.commandKey, 'reassignTask', request);
      if (recorded()) return;
      ensureOpen();
      refuseUnstorableText(request);
      refuseIf(reassignerRefusal(request.actorId, { excludedIds, decidedByOwner: Boolean(definition.decidedByOwner) }));
      validateSeatMove('reassigned', request, request.fromId);
    },
  });

  setHandler(requestWithdrawnSignal, (request) => {
    if (!isAuthorisedWithdrawal(request)) return;
    if (status === 'open' && settled === undefined && !state.withdrawal) state.withdrawal = { actorId: request.actorId, reason: request.reason ?? null };
  });
  /** The owner's signed withdrawal of the parent's request, or the platform's where the parent may withdraw it. */
  function isAuthorisedWithdrawal(request: ForwardedWithdrawal): boolean {
    // Tasks started before signed commands took the platform's withdrawal from any parent, as they still do.
    if (request.actorId === platformPrincipalId) return input.withdrawableByPlatform === true || !input.commandKey;
    const { forwarded } = request;
    if (input.commandKey && (forwarded?.name !== 'withdrawIntake' || forwarded.workflowId !== workflowInfo().parent?.workflowId)) return false;
    return isSignedForward(input.commandKey, request);
  }

  setHandler(
    amendSubjectUpdate,
    async (amendment) => {
      const earlier = recorded<typeof state.subject>();
      if (earlier) return earlier;
      const updateId = currentUpdateInfo()!.id;
      // Decisions wait while the parent records the new version, then meet the new hash.
      amendmentPending = updateId;
      const before = state.subject.version;
      await getExternalWorkflowHandle(workflowInfo().parent!.workflowId).signal(subjectAmendedSignal, { ...amendment, taskId, forwarded: forwardedCommand('amendSubject') });
      await condition(() => state.subject.version > before);
      amendmentPending = undefined;
      state.processedUpdates[updateId] = state.subject;
      return state.subject;
    },
    {
      validator: (amendment) => {
        refuseUnsignedCommand(input.commandKey, 'amendSubject', amendment);
        if (recorded()) return;
        ensureOpen();
        refuseUnstorableText(amendment);
        refuseIf(amendmentRefusal(amendment, { amendmentSchema: definition.amendmentSchema, hasParent: Boolean(workflowInfo().parent), systemOwnerId: input.systemOwnerId }));
      },
    },
  );

  setHandler(
    withdrawTaskUpdate,
    (request) => {
      const earlier = recorded<TaskChangeResult>();
      if (earlier) return earlier;
      state.withdrawal = { actorId: request.actorId, reason: request.reason ?? null };
      const result: TaskChangeResult = { taskId, assignees: state.assignees, taskStatus: 'withdrawn' };
      state.processedUpdates[currentUpdateInfo()!.id] = result;
      return result;
    },
    {
      validator: (request) => {
        refuseUnsignedCommand(input.commandKey, 'withdrawTask', request);
        if (recorded()) return;
        ensureOpen();
        refuseUnstorableText(request);
        refuseIf(withdrawalRefusal(request.actorId, input.requesterId));
      },
    },
  );

  const stepOpening = () => ({
    taskId,
    systemId,
    step: state.step,
    stepCount: chain().length,
    role: chain()[state.step].role,
    rule: chain()[state.step].rule,
    delegateRoles: policy.delegateRoles ?? [],
    excludedIds: [...excludedIds, ...votersAndRepresented()],
    dueAt: new Date(state.dueAt).toISOString(),
    subject: state.subject,
    cycle: cycle(),
  });
  if (!input.carried) {
    const opened = await openTask({ ...stepOpening(), kind, requesterId: input.requesterId, policyVersion: input.policyVersion });
    state.assignees = opened.assignees;
    state.stepOpened = true;
    sendInBackground(opened.emailKeys);
  }

  const stopWaiting = () => stepDone || settled !== undefined || state.withdrawal !== null || subjectChanged;
  const continueAsNewDue = () =>
    workflowInfo().continueAsNewSuggested || (input.historyLimit !== undefined && workflowInfo().historyLength > input.historyLimit);
  for (;;) {
    if (!state.stepOpened) {
      const opened = await openTaskStep(stepOpening());
      state.assignees = opened.assignees;
      state.stepOpened = true;
      sendInBackground(opened.emailKeys);
    }

    const reminderTimes = policy.reminderPoints.map((point) => state.stepOpenedAt + Math.round(point * sla())).sort((a, b) => a - b);
    while (!stopWaiting()) {
      if (continueAsNewDue()) {
        await condition(allHandlersFinished);
        if (!stopWaiting()) await continueAsNew<typeof humanTaskWorkflow>({ ...input, carried: state });
      }
      const nextReminder = reminderTimes[state.remindersSent];
      const wakeAt = nextReminder !== undefined && nextReminder < state.dueAt ? nextReminder : state.dueAt;
      // Also woken by a history grown long from Updates alone, which would otherwise wait for the next deadline.
      if (await condition(() => stopWaiting() || continueAsNewDue(), Math.max(wakeAt - Date.now(), 1))) continue;
      // A decision and the timer can land together; the decision wins.
      if (stopWaiting()) continue;

      if (wakeAt !== state.dueAt) {
        state.remindersSent += 1;
        const reminded = await remindAssignees({
          taskId,
          systemId,
          reminderNumber: state.remindersSent,
          assigneeIds: state.assignees.map((assignee) => assignee.principalId),
          cycle: cycle(),
        });
        sendInBackground(reminded.emailKeys);
        continue;
      }

      const level = policy.escalationLadder[state.escalationLevel];
      if (!level) break;
      state.escalationLevel += 1;
      state.dueAt = Date.now() + level.window;
      const escalated = await escalateTask({
        taskId,
        systemId,
        level: state.escalationLevel,
        action: level.action,
        target: level.target,
        assignees: state.assignees,
        excludedIds: [...excludedIds, ...votersAndRepresented()],
        dueAt: new Date(state.dueAt).toISOString(),
        cycle: cycle(),
      });
      state.assignees = escalated.assignees;
      sendInBackground(escalated.emailKeys);
    }
    await condition(allHandlersFinished);
    // A decision taken back because it could not be stored leaves the step waiting, while its ladder lasts.
    if (!stopWaiting() && policy.escalationLadder[state.escalationLevel]) continue;

    const stepChoice = settledChoice(chain()[state.step].rule, definition.approvingChoice, state.assignees.length, stepVotes());
    const moveOn = settled === undefined && stepChoice === definition.approvingChoice && state.step < chain().length - 1;
    if (subjectChanged && settled === undefined && !state.withdrawal) {
      // Approvals given on the old version no longer count: the chain starts again from its first step.
      subjectChanged = false;
      restartCycle(0);
      continue;
    }
    if (moveOn) {
      restartCycle(state.step + 1);
      continue;
    }
    break;
  }

  function restartCycle(step: number) {
    const now = Date.now();
    state.step = step;
    state.stepOpened = false;
    state.stepOpenedAt = now;
    state.dueAt = now + sla();
    state.remindersSent = 0;
    state.escalationLevel = 0;
    stepDone = false;
    if (step === 0) state.votes = [];
  }

  if (state.withdrawal) {
    status = 'withdrawn';
    await closeTask({ taskId, systemId, status, outcome: null, actorId: state.withdrawal.actorId, reason: state.withdrawal.reason });
    return { taskId, status, votes: state.votes, withdrawnBy: state.withdrawal.actorId };
  }
  if (settled !== undefined) {
    status = 'decided';
    await closeTask({ taskId, systemId, status, outcome: settled, actorId: null, reason: null });
    return { taskId, status, choice: settled, votes: state.votes, submission: state.submission };
  }
  status = policy.timeoutOutcomeByTier[state.tier] === 'reject' ? 'rejected_on_timeout' : 'expired';
  await closeTask({ taskId, systemId, status, outcome: null, actorId: null, reason: 'no decision before the last deadline of the escalation ladder' });
  return { taskId, status, votes: state.votes };
}
