import { CancellationScope, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { recordSystemEvent } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Runs a process; when it is cancelled (its system is retiring) says so on the system's timeline
 * before ending as cancelled. Its open tasks record their own cancellation.
 */
export async function recordingCancellation<T>(systemId: string, process: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isCancellation(error)) {
      const { workflowId } = workflowInfo();
      await CancellationScope.nonCancellable(() =>
        recordSystemEvent({ systemId, key: `${workflowId}:cancelled`, type: 'process.cancelled', data: { process, workflowId } }),
      );
    }
    throw error;
  }
}

/** For a `.catch` that turns a failed task into no result: a cancellation still ends the process. */
export function noResultUnlessCancelled(error: unknown): undefined {
  if (isCancellation(error)) throw error;
  return undefined;
}
