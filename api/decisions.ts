import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Pool } from '../db/pool';
import { decisionsOf, getTask, type TaskRecord } from '../db/tasks';
import type { Principal } from '../domain/principal';
import { decideTaskUpdate, decisionRefusals, type DecideTaskResult } from '../workflows/contracts';
import { withTemporalDeadline, type ApiDeps } from './deps';
import { AppError, notFound, refusedDecision } from './errors';

export interface DecisionRequest {
  taskId: string;
  actor: Principal;
  choice: string;
  comment?: string;
  submission?: unknown;
  /** Scoped to the actor, so two people's keys never collide. */
  updateId: string;
}

const taskClosed = () => new AppError(409, decisionRefusals.taskClosed, 'this task is already closed');

/**
 * Sends a decision to the task workflow as an Update. The update id makes a retry return the first
 * result; once the task has closed, a retry is answered from the recorded decision.
 */
export async function decideTask(deps: ApiDeps, request: DecisionRequest): Promise<DecideTaskResult> {
  const task = await getTask(deps.pool, request.taskId);
  if (!task) throw notFound('the task');
  if (task.status !== 'open') return replayRecordedDecision(deps.pool, task, request.updateId);
  try {
    return await withTemporalDeadline(deps, () =>
      deps.temporal.workflow.getHandle(task.workflowId).executeUpdate(decideTaskUpdate, {
        args: [{ actorId: request.actor.id, choice: request.choice, comment: request.comment, submission: request.submission }],
        updateId: request.updateId,
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) throw refusedDecision(error) ?? error;
    if (error instanceof WorkflowNotFoundError) return replayRecordedDecision(deps.pool, task, request.updateId);
    throw error;
  }
}

async function replayRecordedDecision(pool: Pool, task: TaskRecord, updateId: string): Promise<DecideTaskResult> {
  const recorded = (await decisionsOf(pool, task.id)).find((decision) => decision.updateId === updateId);
  if (!recorded) throw taskClosed();
  const current = await getTask(pool, task.id);
  return { taskId: task.id, choice: recorded.choice, taskStatus: current?.status ?? task.status };
}
