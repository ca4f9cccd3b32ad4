import { Context, heartbeat } from '@temporalio/activity';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { appendAuditEvent } from '../db/audit';
import { inTransaction } from '../db/pool';
import { getSystem, lockSystem } from '../db/systems';
import type { LifecycleState } from '../domain/lifecycle';
import type { Policy } from '../domain/policy';
import { platformPrincipalId, scheduleIds, searchAttributes, workflowTypes, type PeriodicReviewInput } from '../workflows/contracts';
import { moveState } from './intake';
import type { ActivityDeps } from '.';

/** A schedule that is not there needs no pausing or deleting (the system never became active). */
const unlessMissing = (error: unknown) => {
  if (!(error instanceof ScheduleNotFoundError)) throw error;
};

/**
 * The system's periodic review schedule, created at activation or brought to its tier's interval (a
 * re-tiering, a new policy). A new schedule's first review falls one interval from now.
 */
export async function syncReviewSchedule(
  { pool, temporal, taskQueue }: Pick<ActivityDeps, 'pool' | 'temporal' | 'taskQueue'>,
  systemId: string,
  policy: Policy,
): Promise<{ every: number }> {
  const system = await getSystem(pool, systemId);
  if (!system?.riskTier) throw new Error(`AI system ${systemId} has no tier to schedule reviews by`);
  const every = policy.review.intervalByTier[system.riskTier];
  const spec = { intervals: [{ every, offset: Date.now() % every }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: workflowTypes.periodicReview,
    // The schedule appends the time of each run to this id.
    workflowId: scheduleIds.review(systemId),
    taskQueue,
    // No policy in the arguments: each scheduled review asks for the one in force when it starts.
    args: [{ systemId, reason: 'scheduled', requesterId: platformPrincipalId } satisfies PeriodicReviewInput],
    typedSearchAttributes: [
      { key: searchAttributes.systemId, value: systemId },
      { key: searchAttributes.process, value: 'periodic_review' },
      { key: searchAttributes.tier, value: system.riskTier },
    ],
  };
  const handle = temporal.schedule.getHandle(scheduleIds.review(systemId));
  try {
    const current = await handle.describe();
    // Paused exactly while the system is suspended, however it left the suspension.
    if (current.state.paused && system.state !== 'suspended') await handle.unpause(`in service: ${system.state}`);
    if (Number(current.spec.intervals?.[0]?.every) === every) return { every };
    await handle.update((previous) => ({ ...previous, spec, action }));
  } catch (error) {
    unlessMissing(error);
    await temporal.schedule
      .create({
        scheduleId: scheduleIds.review(systemId),
        spec,
        action,
        // One review at a time; a run missed while the scheduler was down starts if not too late.
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: policy.review.catchupWindow },
        // A suspended system's reviews wait for its resumption.
        state: { paused: system.state === 'suspended' },
        memo: { systemId },
      })
      .catch((createError: { name?: string }) => {
        // A retried attempt finds the schedule its first attempt created.
        if (createError.name !== 'ScheduleAlreadyRunning') throw createError;
      });
  }
  return { every };
}

/**
 * What processes do to a whole system: its periodic review schedule, suspension and resumption, and
 * cancelling what still runs for it when it retires.
 */
export function createLifecycleActivities({ pool, temporal, taskQueue, currentPolicy }: ActivityDeps) {
  const reviewSchedule = (systemId: string) => temporal.schedule.getHandle(scheduleIds.review(systemId));

  return {
    /** The policy in force now; recorded in the history like any activity result, so replay sees the same. */
    async currentPolicy(): Promise<Policy> {
      return currentPolicy();
    },

    async syncReviewSchedule(input: { systemId: string; policy: Policy }): Promise<{ every: number }> {
      return syncReviewSchedule({ pool, temporal, taskQueue }, input.systemId, input.policy);
    },

    async deleteReviewSchedule(input: { systemId: string }) {
      await reviewSchedule(input.systemId).delete().catch(unlessMissing);
    },

    /**
     * Takes the system out of service: no review runs and no approval is given until it resumes to
     * the state it was suspended from. Answers false when it already was suspended (by someone else).
     */
    async suspendSystem(input: { systemId: string; reason: string; eventKey: string; actorId?: string }): Promise<{ suspended: boolean }> {
      const suspended = await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        if (system.state === 'suspended') {
          const { rowCount } = await db.query('SELECT 1 FROM audit_events WHERE event_key = $1', [input.eventKey]);
          return rowCount === 1;
        }
        await moveState(db, system, 'suspended');
        await db.query('UPDATE ai_systems SET suspended_from = $2, suspended_by = $3 WHERE id = $1', [
          input.systemId,
          system.state,
          Context.current().info.workflowExecution?.workflowId ?? null,
        ]);
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          actorId: input.actorId ?? null,
          data: { from: system.state, to: 'suspended', reason: input.reason },
        });
        return true;
      });
      if (suspended) await reviewSchedule(input.systemId).pause(`suspended: ${input.reason}`.slice(0, 200)).catch(unlessMissing);
      return { suspended };
    },

    /** Returns a suspended system to the state it was suspended from, and its reviews to their schedule. */
    async resumeSystem(input: { systemId: string; reason: string; eventKey: string; actorId?: string }): Promise<{ state: LifecycleState }> {
      const state = await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        if (system.state !== 'suspended') return system.state;
        const { rows } = await db.query<{ suspended_from: LifecycleState }>('SELECT suspended_from FROM ai_systems WHERE id = $1', [input.systemId]);
        const to = rows[0].suspended_from ?? 'active';
        await moveState(db, system, to);
        await db.query('UPDATE ai_systems SET suspended_from = NULL, suspended_by = NULL WHERE id = $1', [input.systemId]);
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          actorId: input.actorId ?? null,
          data: { from: 'suspended', to, reason: input.reason },
        });
        return to;
      });
      if (state !== 'suspended') await reviewSchedule(input.systemId).unpause(`resumed: ${input.reason}`.slice(0, 200)).catch(unlessMissing);
      return { state };
    },

    /**
     * Cancels every other process still running for the system (the retirement's own tasks aside) and
     * waits until each has closed: their open tasks close as cancelled, with audit.
     */
    async cancelOtherProcesses(input: { systemId: string; exceptWorkflowId: string }): Promise<{ cancelled: string[] }> {
      if (!/^[0-9a-f-]{36}$/.test(input.systemId)) throw new Error(`not a system id: ${input.systemId}`);
      const query = `AimsSystemId = '${input.systemId}' AND ExecutionStatus = 'Running'`;
      const cancelled: string[] = [];
      for await (const execution of temporal.workflow.list({ query })) {
        // Tasks close with the process they belong to; the retirement keeps its own.
        if (execution.workflowId === input.exceptWorkflowId || execution.type === workflowTypes.humanTask) continue;
        await temporal.workflow.getHandle(execution.workflowId, execution.runId).cancel().catch((error) => {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        });
        cancelled.push(execution.workflowId);
      }
      for (const workflowId of cancelled) {
        heartbeat(workflowId);
        await temporal.workflow.getHandle(workflowId).result().catch(() => undefined);
      }
      return { cancelled };
    },
  };
}
