import { ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { syncReviewSchedule } from '../activities/lifecycle';
import type { ActivityDeps } from '../activities';
import { recordReviewSchedulesSynced, reviewSchedulesSyncedTo, systemsWithReviewSchedules } from '../db/systems';
import type { Policy } from '../domain/policy';
import { scheduleIds, workflowTypes } from '../workflows/contracts';

/**
 * A schedule of the platform's own that starts one workflow every `every` ms, created by whichever
 * worker starts first and kept at that period. Workers starting together may race to create it: the
 * loser finds it there.
 */
async function ensureIntervalSchedule(
  temporal: Client,
  taskQueue: string,
  { scheduleId, every, workflowType, catchupWindow }: { scheduleId: string; every: number; workflowType: string; catchupWindow: Duration },
) {
  const spec = { intervals: [{ every }] };
  const handle = temporal.schedule.getHandle(scheduleId);
  try {
    const current = await handle.describe();
    if (Number(current.spec.intervals?.[0]?.every) !== every) await handle.update((previous) => ({ ...previous, spec }));
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    await temporal.schedule
      .create({
        scheduleId,
        spec,
        action: { type: 'startWorkflow', workflowType, workflowId: scheduleId, taskQueue, args: [] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow },
      })
      .catch((createError: { name?: string }) => {
        if (createError.name !== 'ScheduleAlreadyRunning') throw createError;
      });
  }
  return handle;
}

/** The governance digest schedule, at the policy's period. */
export const ensureDigestSchedule = (temporal: Client, taskQueue: string, policy: Policy, scheduleId = scheduleIds.governanceDigest) =>
  ensureIntervalSchedule(temporal, taskQueue, {
    scheduleId,
    every: policy.review.digestEvery,
    workflowType: workflowTypes.governanceDigest,
    catchupWindow: '1 day',
  });

/**
 * The background verifier's schedule: each run extends the audit chain's signed checkpoint. A run
 * missed while no worker ran is not made up: the next one walks from where the last got to anyway.
 */
export const ensureAuditCheckpointSchedule = (temporal: Client, taskQueue: string, every: number, scheduleId = scheduleIds.auditCheckpoint) =>
  ensureIntervalSchedule(temporal, taskQueue, { scheduleId, every, workflowType: workflowTypes.auditCheckpoint, catchupWindow: '1 minute' });

/** Brings every in-service system's review schedule to the policy's interval for its tier. */
export async function syncAllReviewSchedules(deps: Pick<ActivityDeps, 'pool' | 'temporal' | 'taskQueue'>, policy: Policy): Promise<number> {
  const systemIds = await systemsWithReviewSchedules(deps.pool);
  for (const id of systemIds) await syncReviewSchedule(deps, id, policy);
  await recordReviewSchedulesSynced(deps.pool, policy.version);
  return systemIds.length;
}

/**
 * At a worker's start: the schedules follow a policy the first time a worker runs under it. Systems
 * activated meanwhile got theirs at activation, so a start under the same version has nothing to do.
 */
export async function syncReviewSchedulesToNewPolicy(
  deps: Pick<ActivityDeps, 'pool' | 'temporal' | 'taskQueue'>,
  policy: Policy,
): Promise<number | 'already synced'> {
  if (await reviewSchedulesSyncedTo(deps.pool, policy.version)) return 'already synced';
  return syncAllReviewSchedules(deps, policy);
}
