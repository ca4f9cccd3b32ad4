import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  currentUpdateInfo,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { settledChoice, taskKinds, type TaskStatus, type Vote } from '../domain/task';
import type { Activities } from '../activities';
import {
  decideTaskUpdate,
  decisionRefusals,
  taskProgressQuery,
  type DecideTaskInput,
  type DecideTaskResult,
  type HumanTaskInput,
  type HumanTaskResult,
} from './contracts';

const { openTask, recordDecision, remindAssignees, escalateTask, closeTask } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
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
  for (const key of emailKeys) void deliverEmail(key);
}

const refuse = (type: string, message: string) => ApplicationFailure.create({ type, message, nonRetryable: true });

/**
 * One human step (DESIGN.md §5): opens the task, waits for its approval rule, reminds at policy
 * points, climbs the escalation ladder on each missed deadline, and closes with the outcome.
 */
export async function humanTaskWorkflow(input: HumanTaskInput): Promise<HumanTaskResult> {
  const { taskId, systemId, kind, tier, policy } = input;
  const definition = taskKinds[kind];
  const sla = policy.slaByTier[tier];
  const openedAt = Date.now();
  const state = {
    status: 'open' as TaskStatus,
    assigneeIds: [] as string[],
    votes: [] as Vote[],
    submission: undefined as unknown,
    settled: undefined as string | undefined,
    escalationLevel: 0,
    dueAt: openedAt + sla,
  };

  setHandler(taskProgressQuery, () => ({
    taskId,
    status: state.status,
    assigneeIds: state.assigneeIds,
    votes: state.votes,
    escalationLevel: state.escalationLevel,
    dueAt: new Date(state.dueAt).toISOString(),
  }));

  setHandler(
    decideTaskUpdate,
    async (decision: DecideTaskInput): Promise<DecideTaskResult> => {
      // Counted before the first await, so a concurrent second decision already sees the task settled.
      state.votes.push({ actorId: decision.actorId, choice: decision.choice });
      state.settled = settledChoice(input.policy.rule, definition.approvingChoice, state.assigneeIds.length, state.votes);
      if (definition.submissionSchema) state.submission = definition.submissionSchema.parse(decision.submission);
      await recordDecision({
        taskId,
        systemId,
        updateId: currentUpdateInfo()!.id,
        actorId: decision.actorId,
        choice: decision.choice,
        comment: decision.comment ?? null,
        submission: decision.submission ?? null,
      });
      return { taskId, choice: decision.choice, taskStatus: state.settled === undefined ? 'open' : 'decided' };
    },
    {
      validator: (decision: DecideTaskInput) => {
        if (state.status !== 'open' || state.settled !== undefined) {
          throw refuse(decisionRefusals.taskClosed, 'this task is already closed');
        }
        if (!(definition.choices as readonly string[]).includes(decision.choice)) {
          throw refuse(decisionRefusals.choiceNotAllowed, `choose one of: ${definition.choices.join(', ')}`);
        }
        if (decision.actorId === input.requesterId) {
          throw refuse(decisionRefusals.segregationOfDuties, 'the requester cannot decide their own request');
        }
        if (!state.assigneeIds.includes(decision.actorId)) {
          throw refuse(decisionRefusals.notAssignee, 'you are not an assignee of this task');
        }
        if (state.votes.some((vote) => vote.actorId === decision.actorId)) {
          throw refuse(decisionRefusals.alreadyDecided, 'you have already decided on this task');
        }
        if (definition.submissionSchema) {
          const parsed = definition.submissionSchema.safeParse(decision.submission);
          if (!parsed.success) {
            const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(submission)'}: ${issue.message}`);
            throw refuse(decisionRefusals.invalidSubmission, `the submission is invalid: ${fields.join('; ')}`);
          }
        }
      },
    },
  );

  const opened = await openTask({
    taskId,
    systemId,
    kind,
    requesterId: input.requesterId,
    rule: policy.rule,
    assigneeRole: policy.assigneeRole,
    dueAt: new Date(state.dueAt).toISOString(),
    policyVersion: input.policyVersion,
  });
  state.assigneeIds = opened.assigneeIds;
  sendInBackground(opened.emailKeys);

  const reminderTimes = policy.reminderPoints.map((point) => openedAt + Math.round(point * sla)).sort((a, b) => a - b);
  let remindersSent = 0;

  while (state.settled === undefined) {
    const nextReminder = reminderTimes[remindersSent];
    const wakeAt = nextReminder !== undefined && nextReminder < state.dueAt ? nextReminder : state.dueAt;
    if (await condition(() => state.settled !== undefined, Math.max(wakeAt - Date.now(), 1))) break;

    if (wakeAt !== state.dueAt) {
      remindersSent += 1;
      const reminded = await remindAssignees({ taskId, systemId, reminderNumber: remindersSent, assigneeIds: state.assigneeIds });
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
      assigneeIds: state.assigneeIds,
      requesterId: input.requesterId,
      dueAt: new Date(state.dueAt).toISOString(),
    });
    state.assigneeIds = escalated.assigneeIds;
    sendInBackground(escalated.emailKeys);
  }

  await condition(allHandlersFinished);
  if (state.settled !== undefined) {
    state.status = 'decided';
    await closeTask({ taskId, systemId, status: 'decided', outcome: state.settled });
    return { taskId, status: 'decided', choice: state.settled, votes: state.votes, submission: state.submission };
  }
  state.status = policy.timeoutOutcomeByTier[tier] === 'reject' ? 'rejected_on_timeout' : 'expired';
  await closeTask({ taskId, systemId, status: state.status, outcome: null });
  return { taskId, status: state.status, votes: state.votes };
}
