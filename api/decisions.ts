import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { Pool } from '../db/pool';
import { decisionsOf, getTask, type TaskRecord } from '../db/tasks';
import type { Principal } from '../domain/principal';
import {
  amendSubjectUpdate,
  decideTaskUpdate,
  decisionRefusals,
  delegateTaskUpdate,
  reassignTaskUpdate,
  withdrawTaskUpdate,
  type DecideTaskResult,
} from '../workflows/contracts';
import { withTemporalDeadline, type ApiDeps } from './deps';
import { AppError, refusedDecision } from './errors';

const taskClosed = () => new AppError(409, decisionRefusals.taskClosed, 'this task is already closed');

/** Sends an Update to a task's workflow, mapping the workflow's refusals to HTTP errors. */
async function updateTask<Result, Input>(
  deps: ApiDeps,
  task: TaskRecord,
  update: UpdateDefinition<Result, [Input]>,
  input: Input,
  updateId: string,
): Promise<Result> {
  const giveUpAt = Date.now() + deps.temporalDeadlineMs;
  for (let pause = 25; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await withTemporalDeadline(deps, () =>
        deps.temporal.workflow.getHandle(task.workflowId).executeUpdate(update, { args: [input], updateId }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw taskClosed();
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const refusal = refusedDecision(error) ?? error;
      // The task row is visible a moment before its workflow has seated the assignees: ask again shortly.
      const opening = refusal instanceof AppError && refusal.code === decisionRefusals.taskOpening;
      if (!opening || Date.now() > giveUpAt) throw refusal;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

export interface DecisionRequest {
  task: TaskRecord;
  actor: Principal;
  choice: string;
  snapshotHash: string;
  comment?: string;
  submission?: unknown;
  /** Scoped to the actor, so two people's keys never collide. */
  updateId: string;
}

/**
 * Sends a decision to the task workflow as an Update. The update id makes a retry return the first
 * result; once the task has closed, a retry is answered from the recorded decision.
 */
export async function decideTask(deps: ApiDeps, request: DecisionRequest): Promise<DecideTaskResult> {
  const { task } = request;
  if (task.status !== 'open') return replayRecordedDecision(deps.pool, task, request.updateId);
  try {
    return await updateTask(
      deps,
      task,
      decideTaskUpdate,
      { actorId: request.actor.id, choice: request.choice, snapshotHash: request.snapshotHash, comment: request.comment, submission: request.submission },
      request.updateId,
    );
  } catch (error) {
    if (error instanceof AppError && error.code === decisionRefusals.taskClosed) return replayRecordedDecision(deps.pool, task, request.updateId);
    throw error;
  }
}

async function replayRecordedDecision(pool: Pool, task: TaskRecord, updateId: string): Promise<DecideTaskResult> {
  const recorded = (await decisionsOf(pool, task.id)).find((decision) => decision.updateId === updateId);
  if (!recorded) throw taskClosed();
  const current = await getTask(pool, task.id);
  return { taskId: task.id, choice: recorded.choice, onBehalfOf: recorded.onBehalfOf, taskStatus: current?.status ?? task.status };
}

export const delegateTask = (deps: ApiDeps, task: TaskRecord, input: { actorId: string; toId: string; reason?: string }, updateId: string) =>
  updateTask(deps, task, delegateTaskUpdate, input, updateId);

export const reassignTask = (deps: ApiDeps, task: TaskRecord, input: { actorId: string; fromId: string; toId: string; reason: string }, updateId: string) =>
  updateTask(deps, task, reassignTaskUpdate, input, updateId);

export const withdrawTask = (deps: ApiDeps, task: TaskRecord, input: { actorId: string; reason?: string }, updateId: string) =>
  updateTask(deps, task, withdrawTaskUpdate, input, updateId);

export const amendTaskSubject = (deps: ApiDeps, task: TaskRecord, input: { actorId: string; submission: unknown }, updateId: string) =>
  updateTask(deps, task, amendSubjectUpdate, input, updateId);
