import { Context, heartbeat } from '@temporalio/activity';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { appendAuditEvent } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction } from '../db/pool';
import { closeCancelledProcessRecord } from '../db/processes';
import { effectiveState, getSystem, leaveSuspension, lockSystem, suspensionHolders } from '../db/systems';
import { inServiceStates, type CancellableProcess, type LifecycleState } from '../domain/lifecycle';
import type { Policy } from '../domain/policy';
import type { ReviewReason } from '../domain/review';
import { platformPrincipalId, scheduleIds, processSearchAttributes, workflowIds, workflowTypes, type PeriodicReviewInput } from '../workflows/contracts';
import { moveState, stateChange } from './intake';
import type { ActivityDeps } from '.';

/** The workflow an activity runs for: the holder of a suspension it takes or releases. */
function callingWorkflowId(): string {
  const workflowId = Context.current().info.workflowExecution?.workflowId;
  if (!workflowId) throw new Error('suspension is held by a workflow; this activity ran outside one');
  return workflowId;
}

/**
 * What a retirement never cancels: tasks close with the process they belong to (the retirement keeps its
 * own), and an incident's handling, and a serious one's report to the authority (Art. 73), are never cut short.
 */
const carryOnThroughRetirement: readonly string[] = [workflowTypes.humanTask, workflowTypes.incident];

/** A schedule that is not there needs no pausing or deleting (the system never became active). */
const unlessMissing = (error: unknown) => {
  if (!(error instanceof ScheduleNotFoundError)) throw error;
};

/**
 * The system's periodic review schedule, created at activation or brought to its tier's interval (a
 * re-tiering, a new policy) and to its next review date (after each review).
 */
export async function syncReviewSchedule(
  { pool, temporal, taskQueue }: Pick<ActivityDeps, 'pool' | 'temporal' | 'taskQueue'>,
  systemId: string,
  policy: Policy,
): Promise<{ every: number }> {
  const system = await getSystem(pool, systemId);
  if (!system?.riskTier) throw new Error(`AI system ${systemId} has no tier to schedule reviews by`);
  const every = policy.review.intervalByTier[system.riskTier];
  // Only a system in service has reviews; one on its way out (or rejected while suspended) gets none.
  if (!inServiceStates.includes(effectiveState(system))) return { every };
  // Runs fall on the system's next review date, so an off-cycle review moves the cadence with it.
  const offset = (system.nextReviewDue ? Date.parse(system.nextReviewDue) : Date.now() + every) % every;
  const spec = { intervals: [{ every, offset }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: workflowTypes.periodicReview,
    // The schedule appends the time of each run to this id.
    workflowId: scheduleIds.review(systemId),
    taskQueue,
    // No policy in the arguments: each scheduled review asks for the one in force when it starts.
    args: [{ systemId, reason: 'scheduled', requesterId: platformPrincipalId } satisfies PeriodicReviewInput],
    typedSearchAttributes: processSearchAttributes(systemId, 'periodic_review', { tier: system.riskTier }),
  };
  const handle = temporal.schedule.getHandle(scheduleIds.review(systemId));
  try {
    const current = await handle.describe();
    // Paused exactly while the system is suspended, however it left the suspension.
    if (current.state.paused && system.state !== 'suspended') await handle.unpause(`in service: ${system.state}`);
    const interval = current.spec.intervals?.[0];
    if (Number(interval?.every) === every && Number(interval?.offset ?? 0) === offset) return { every };
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

  /**
   * Releases one workflow's hold. The last hold released returns the system to the state its processes
   * have moved it to meanwhile, its reviews to their schedule, and starts a re-assessment asked for meanwhile.
   */
  async function releaseHold(
    holder: string,
    input: { systemId: string; reason: string; eventKey: string; actorId?: string },
  ): Promise<{ state: LifecycleState }> {
    const { state, pendingReassessment } = await inTransaction(pool, async (db) => {
      const system = await lockSystem(db, input.systemId);
      const released = await db.query('UPDATE suspension_holds SET released_at = now() WHERE system_id = $1 AND holder = $2 AND released_at IS NULL', [
        input.systemId,
        holder,
      ]);
      const remaining = await suspensionHolders(db, input.systemId);
      // Only a holder resumes: a workflow that held nothing changes nothing.
      if (system.state !== 'suspended' || remaining.length > 0 || released.rowCount === 0) {
        if (released.rowCount === 1) {
          await appendAuditEvent(db, {
            key: input.eventKey,
            type: 'system.suspension_released',
            systemId: input.systemId,
            actorId: input.actorId ?? null,
            data: { holder, reason: input.reason, remaining },
          });
        }
        return { state: system.state, pendingReassessment: null };
      }
      const to = system.suspendedFrom ?? 'active';
      const { rows } = await db.query<{ reassessment_pending: ReviewReason | null }>('SELECT reassessment_pending FROM ai_systems WHERE id = $1', [
        input.systemId,
      ]);
      await leaveSuspension(db, system, to);
      await db.query('UPDATE ai_systems SET reassessment_pending = NULL WHERE id = $1', [input.systemId]);
      await appendAuditEvent(db, {
        key: input.eventKey,
        type: 'system.state_changed',
        systemId: input.systemId,
        actorId: input.actorId ?? null,
        data: { from: 'suspended', to, reason: input.reason, holder },
      });
      return { state: to, pendingReassessment: to === 'active' ? rows[0].reassessment_pending : null };
    });
    if (state !== 'suspended') await reviewSchedule(input.systemId).unpause(`resumed: ${input.reason}`.slice(0, 200)).catch(unlessMissing);
    if (pendingReassessment) {
      // The re-assessment asked for while suspended starts now; its id makes a retried resumption start it once.
      await temporal.workflow
        .start(workflowTypes.periodicReview, {
          taskQueue,
          workflowId: workflowIds.review(input.systemId, `resumed-${sha256Hex(input.eventKey).slice(0, 12)}`),
          args: [
            { systemId: input.systemId, reason: pendingReassessment, requesterId: platformPrincipalId, policy: currentPolicy() } satisfies PeriodicReviewInput,
          ],
          typedSearchAttributes: processSearchAttributes(input.systemId, 'periodic_review'),
        })
        .catch((error) => {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        });
    }
    return { state };
  }

  return {
    /** A process cancelled under its system: its record closes as cancelled and the timeline says so, at once. */
    async recordProcessCancelled(input: { systemId: string; process: CancellableProcess; workflowId: string }) {
      await inTransaction(pool, async (db) => {
        await closeCancelledProcessRecord(db, input);
        await appendAuditEvent(db, {
          key: `${input.workflowId}:cancelled`,
          type: 'process.cancelled',
          systemId: input.systemId,
          data: { process: input.process, workflowId: input.workflowId },
        });
      });
    },

    /** A process that cannot proceed (its data cannot be stored); nothing to record on a system never registered. */
    async recordProcessFailed(input: { systemId: string; process: CancellableProcess; workflowId: string; reason: string }) {
      await inTransaction(pool, async (db) => {
        if (!(await getSystem(db, input.systemId))) return;
        await appendAuditEvent(db, {
          key: `${input.workflowId}:failed`,
          type: 'process.failed',
          systemId: input.systemId,
          data: { process: input.process, workflowId: input.workflowId, reason: input.reason },
        });
      });
    },

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
     * Takes the system out of service on behalf of the calling workflow: no review runs and no approval
     * is given until every workflow holding it suspended has resumed it. False when the lifecycle has
     * no service to suspend (retiring or retired).
     */
    async suspendSystem(input: { systemId: string; reason: string; eventKey: string; actorId?: string }): Promise<{ suspended: boolean }> {
      const holder = callingWorkflowId();
      const suspended = await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        if (system.state === 'retiring' || system.state === 'retired') return false;
        // A holder that let go and suspends again holds again; a retried attempt finds its hold and changes nothing.
        const held = await db.query(
          `INSERT INTO suspension_holds (system_id, holder, reason) VALUES ($1, $2, $3)
           ON CONFLICT (system_id, holder) DO UPDATE SET released_at = NULL, reason = excluded.reason, held_at = now()
           WHERE suspension_holds.released_at IS NOT NULL`,
          [input.systemId, holder, input.reason],
        );
        if (held.rowCount === 0) return true;
        if (system.state === 'suspended') {
          await appendAuditEvent(db, {
            key: input.eventKey,
            type: 'system.suspension_held',
            systemId: input.systemId,
            actorId: input.actorId ?? null,
            data: { holder, reason: input.reason },
          });
          return true;
        }
        const move = await moveState(db, system, 'suspended');
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          actorId: input.actorId ?? null,
          data: { ...stateChange(move!, 'suspended', input.reason), holder },
        });
        return true;
      });
      if (suspended) await reviewSchedule(input.systemId).pause(`suspended: ${input.reason}`.slice(0, 200)).catch(unlessMissing);
      return { suspended };
    },

    /** Releases the calling workflow's hold (see releaseHold). */
    async resumeSystem(input: { systemId: string; reason: string; eventKey: string; actorId?: string }): Promise<{ state: LifecycleState }> {
      return releaseHold(callingWorkflowId(), input);
    },

    /**
     * Releases the holds of incidents whose workflow ended without letting go (failed, terminated), so
     * a suspension never outlives the process that took it. A failed re-assessment's hold is meant to.
     */
    async releaseEndedHolds(): Promise<{ released: string[] }> {
      const { rows } = await pool.query<{ system_id: string; holder: string }>(
        `SELECT system_id, holder FROM suspension_holds WHERE released_at IS NULL AND holder NOT LIKE 'review-%' ORDER BY held_at`,
      );
      const released: string[] = [];
      for (const { system_id: systemId, holder } of rows) {
        const status = await temporal.workflow
          .getHandle(holder)
          .describe()
          .then(
            (description) => description.status.name,
            (error) => {
              if (error instanceof WorkflowNotFoundError) return 'NOT_FOUND';
              throw error;
            },
          );
        if (status === 'RUNNING') continue;
        await releaseHold(holder, {
          systemId,
          reason: `the holding workflow ended (${status.toLowerCase()}) without releasing it`,
          eventKey: `${holder}:hold-ended`,
        });
        released.push(holder);
      }
      return { released };
    },

    /**
     * Cancels every other process still running for the system (the retirement's own tasks aside) but
     * its incidents, and waits until each has closed: their open tasks close as cancelled, with audit.
     */
    async cancelOtherProcesses(input: { systemId: string; exceptWorkflowId: string }): Promise<{ cancelled: string[] }> {
      if (!/^[0-9a-f-]{36}$/.test(input.systemId)) throw new Error(`not a system id: ${input.systemId}`);
      const query = `AimsSystemId = '${input.systemId}' AND ExecutionStatus = 'Running'`;
      const cancelled: string[] = [];
      for await (const execution of temporal.workflow.list({ query })) {
        heartbeat(execution.workflowId);
        if (execution.workflowId === input.exceptWorkflowId || carryOnThroughRetirement.includes(execution.type)) continue;
        await temporal.workflow
          .getHandle(execution.workflowId, execution.runId)
          .cancel()
          .catch((error) => {
            if (!(error instanceof WorkflowNotFoundError)) throw error;
          });
        cancelled.push(execution.workflowId);
      }
      for (const workflowId of cancelled) {
        let closed = false;
        const result = temporal.workflow
          .getHandle(workflowId)
          .result()
          .finally(() => (closed = true));
        result.catch(() => undefined);
        // Heartbeats while a process closes, however long its own clean-up takes; a worker shutting down
        // cancels the wait (the process may need that very worker to close), and the activity runs again.
        while (!closed) {
          heartbeat(workflowId);
          await Context.current().sleep(1_000);
        }
      }
      return { cancelled };
    },
  };
}
