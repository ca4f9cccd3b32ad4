import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import type { Pool } from '../db/pool';
import type { CommandProof, SignedCommandName } from '../domain/commandSignature';
import { getSystem } from '../db/systems';
import { decisionsOf, getTask, type TaskRecord } from '../db/tasks';
import { hasAnyRole, type Principal } from '../domain/principal';
import { triageDecisionSchema } from '../domain/triageVerdict';
import { taskKinds, type TaskKind } from '../domain/task';
import {
  amendSubjectUpdate,
  assessSeriousnessUpdate,
  decideTaskUpdate,
  decisionRefusals,
  delegateTaskUpdate,
  reassignTaskUpdate,
  withdrawIntakeUpdate,
  withdrawTaskUpdate,
  workflowIds,
  type AssessSeriousnessInput,
  type DecideTaskResult,
  type DelegateTaskInput,
  type ReassignTaskInput,
} from '../workflows/contracts';
import { temporalDeadline, withTemporalDeadline, type ApiDeps } from './deps';
import { AppError, forbidden, isRefusal, isUpdateRefusedForNow, refusalError, refusedDecision } from './errors';
import { refuseUnstorableText } from './validate';

const taskClosed = () => refusalError(decisionRefusals.taskClosed, 'this task is already closed');

/** Waits `pause` before asking again, never past the request's deadline. */
const pauseWithin = (pause: number, giveUpAt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(giveUpAt - Date.now(), 0))));

/** Sends an Update to a process or task workflow, mapping the workflow's refusals to HTTP errors. */
async function updateWorkflow<Result, Input extends { signed?: CommandProof }>(
  deps: ApiDeps,
  workflowId: string,
  update: UpdateDefinition<Result, [Input], SignedCommandName>,
  input: Omit<Input, 'signed'>,
  updateId: string,
): Promise<Result> {
  const giveUpAt = temporalDeadline(deps);
  for (let pause = 25; ; pause = Math.min(pause * 2, 500)) {
    // Signed afresh for every attempt, so a long retry never sends an expired command.
    const signed = deps.commandSigner.sign({ name: update.name, workflowId, updateId, args: input });
    try {
      return await withTemporalDeadline(deps, () =>
        deps.temporal.workflow.getHandle(workflowId).executeUpdate(update, { args: [{ ...input, signed } as Input], updateId }),
      );
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw taskClosed();
      // A worker died in the workflow's last task: asked again once another has run it, within the deadline.
      if (isUpdateRefusedForNow(error) && Date.now() < giveUpAt) {
        await pauseWithin(pause, giveUpAt);
        continue;
      }
      if (!(error instanceof WorkflowUpdateFailedError)) throw error;
      const refusal = refusedDecision(error) ?? error;
      // The task row is visible a moment before its workflow has seated the assignees: ask again shortly.
      const opening = isRefusal(refusal, decisionRefusals.taskOpening);
      if (!opening || Date.now() > giveUpAt) throw refusal;
      await pauseWithin(pause, giveUpAt);
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
  refuseUnstorableText({ comment: request.comment, submission: request.submission });
  if (task.status !== 'open') return replayRecordedDecision(deps.pool, task, request);
  refuseOverrideByOthersThanLeadsAndCounsel(task, request);
  await refuseApprovalOfSuspendedSystem(deps.pool, task, request.choice);
  try {
    const result = await updateWorkflow(
      deps,
      task.workflowId,
      decideTaskUpdate,
      { actorId: request.actor.id, choice: request.choice, snapshotHash: request.snapshotHash, comment: request.comment, submission: request.submission },
      request.updateId,
    );
    return sameChoiceOrConflict(result, request.choice);
  } catch (error) {
    if (isRefusal(error, decisionRefusals.taskClosed)) return replayRecordedDecision(deps.pool, task, request);
    throw error;
  }
}

/** A triage's tier and classification are overridden by a governance lead or legal counsel only (DESIGN.md §4), whoever else holds a seat. */
function refuseOverrideByOthersThanLeadsAndCounsel(task: TaskRecord, request: DecisionRequest) {
  if (task.kind !== 'intake_triage') return;
  const verdict = triageDecisionSchema.safeParse(request.submission).data?.classification;
  if (verdict?.verdict === 'overridden' && !hasAnyRole(request.actor, 'governance_lead', 'legal_counsel')) {
    throw forbidden('only a governance lead or legal counsel overrides the tier and classification of a triage');
  }
}

/** Approvals that bring or keep a system in service; owners' submissions, incidents and retirement carry on. */
const approvalsBlockedWhileSuspended: readonly TaskKind[] = ['intake_triage', 'impact_review', 'risk_signoff', 'risk_reacceptance'];

/** A suspended system gets no new approval until it resumes (an incident's containment took it out of service). */
async function refuseApprovalOfSuspendedSystem(pool: Pool, task: TaskRecord, choice: string) {
  if (!approvalsBlockedWhileSuspended.includes(task.kind) || choice !== taskKinds[task.kind].approvingChoice) return;
  const system = await getSystem(pool, task.systemId);
  if (system?.state === 'suspended') {
    throw new AppError(409, 'system_suspended', `the AI system is suspended: no '${choice}' is given until it resumes`);
  }
}

/** A retry returns the first result; the same key sent with another choice is a client error, not a retry. */
function sameChoiceOrConflict(result: DecideTaskResult, choice: string): DecideTaskResult {
  if (result.choice !== choice) {
    throw new AppError(409, 'idempotency_key_reused', `this Idempotency-Key already decided '${result.choice}'; use a new key for a new decision`);
  }
  return result;
}

async function replayRecordedDecision(pool: Pool, task: TaskRecord, request: DecisionRequest): Promise<DecideTaskResult> {
  const recorded = (await decisionsOf(pool, task.id)).find((decision) => decision.updateId === request.updateId);
  if (!recorded) throw taskClosed();
  const current = await getTask(pool, task.id);
  const result = { taskId: task.id, choice: recorded.choice, onBehalfOf: recorded.onBehalfOf, taskStatus: current?.status ?? task.status };
  return sameChoiceOrConflict(result, request.choice);
}

/** A governance lead decides that an incident is serious, or that a causal link is established (its workflow judges when it may). */
export function assessIncidentSeriousness(deps: ApiDeps, incidentId: string, input: Omit<AssessSeriousnessInput, 'signed'>, updateId: string) {
  refuseUnstorableText({ seriousness: input.seriousness });
  return updateWorkflow(deps, workflowIds.incident(incidentId), assessSeriousnessUpdate, input, updateId);
}

export const delegateTask = (deps: ApiDeps, task: TaskRecord, input: Omit<DelegateTaskInput, 'signed'>, updateId: string) =>
  updateWorkflow(deps, task.workflowId, delegateTaskUpdate, input, updateId);

export const reassignTask = (deps: ApiDeps, task: TaskRecord, input: Omit<ReassignTaskInput, 'signed'>, updateId: string) =>
  updateWorkflow(deps, task.workflowId, reassignTaskUpdate, input, updateId);

export const withdrawTask = (deps: ApiDeps, task: TaskRecord, input: { actorId: string; reason?: string }, updateId: string) =>
  updateWorkflow(deps, task.workflowId, withdrawTaskUpdate, input, updateId);

export function amendTaskSubject(deps: ApiDeps, task: TaskRecord, input: { actorId: string; submission: unknown }, updateId: string) {
  refuseUnstorableText({ submission: input.submission });
  return updateWorkflow(deps, task.workflowId, amendSubjectUpdate, input, updateId);
}

export const withdrawIntake = (deps: ApiDeps, systemId: string, input: { actorId: string; reason?: string }, updateId: string) =>
  updateWorkflow(deps, workflowIds.intake(systemId), withdrawIntakeUpdate, input, updateId);
