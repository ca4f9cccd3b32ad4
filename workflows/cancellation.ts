import { ApplicationFailure, CancellationScope, isCancellation, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { raisedByActivity, recordKeepingActivities } from './activityOptions';
import { activityFailures, type ActivityFailureType } from '../domain/failures';
import type { CancellableProcess } from '../domain/lifecycle';

const records = recordKeepingActivities();

const { recordProcessFailed } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  // Best effort: the process has already failed for good, and its system may not even be registered.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** The activity failure of one of `types` under `error`: met by this workflow's activity, or by one of a task (child workflow) it waited on. */
function failureUnder(error: unknown, types: readonly ActivityFailureType[]): ApplicationFailure | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    for (const type of types) {
      const raised = raisedByActivity(current, type);
      if (raised) return raised;
    }
  }
  return undefined;
}

/** Data PostgreSQL refuses as such (the activities' UnstorableData failure): no retry can carry the process on. */
export const unstorableData = (error: unknown) => failureUnder(error, [activityFailures.unstorableData]);

/** Processes started before cancelled records closed only wrote the timeline event. */
const cancelledRecordsClose = 'cancelled-process-record-closes';

/**
 * Runs a process and records how it ended when it did not end by its own rules. Cancelled (its system
 * is retiring): its record closes as cancelled and the timeline says so; its open tasks record their
 * own cancellation. Failed on data PostgreSQL cannot store, or on a record that is not there: the
 * timeline says the process could not proceed, and the workflow fails visibly instead of retrying for ever.
 */
export async function recordingEnd<T>(systemId: string, process: CancellableProcess, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isCancellation(error)) {
      const { workflowId } = workflowInfo();
      await CancellationScope.nonCancellable(() =>
        patched(cancelledRecordsClose)
          ? records().recordProcessCancelled({ systemId, process, workflowId })
          : records().recordSystemEvent({ systemId, key: `${workflowId}:cancelled`, type: 'process.cancelled', data: { process, workflowId } }),
      );
    }
    // Refused data, or a record that is not there: either way no retry carries the process on.
    const refused = failureUnder(error, [activityFailures.unstorableData, activityFailures.notFound]);
    if (refused) {
      const { workflowId } = workflowInfo();
      await recordProcessFailed({ systemId, process, workflowId, reason: refused.message }).catch(() => undefined);
    }
    throw error;
  }
}

/** For a `.catch` that turns a failed task into no result: a cancellation still ends the process. */
export function noResultUnlessCancelled(error: unknown): undefined {
  if (isCancellation(error)) throw error;
  return undefined;
}
