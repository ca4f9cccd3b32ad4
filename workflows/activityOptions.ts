import { ActivityFailure, ApplicationFailure, patched, proxyActivities, proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ActivityFailureType } from '../domain/failures';

/**
 * The options of the activities that keep the records: each is safe to repeat, and a process must
 * outlast a database outage, so it retries until it works.
 */
export const recordKeeping = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const satisfies ActivityOptions;

/** Processes started before the record-keeping activities ran inside their workflow tasks scheduled each one on the server. */
const recordsInWorkflowTask = 'record-keeping-local-activities';

/**
 * The record-keeping activities as a process calls them: as local activities, run by the worker inside
 * the workflow task that asks for them. A short database write then costs no server round trips of
 * its own (scheduling, polling and reporting an activity task, and the workflow task after it), which
 * were most of the time from an intake to its decision. When the workflow task is lost (its worker
 * died), its local activities are run again, after later ones of the same task may have run too: each
 * rerun gives back its first answer and does nothing (activities/index.ts). A run started before this
 * scheduled them on the server, and keeps doing so (patched).
 */
export function recordKeepingActivities(options: Pick<ActivityOptions, 'cancellationType'> = {}): () => Activities {
  const scheduled = proxyActivities<Activities>({ ...recordKeeping, ...options });
  const local = proxyLocalActivities<Activities>({ ...recordKeeping, ...options });
  return () => (patched(recordsInWorkflowTask) ? local : scheduled);
}

/** The failure of `type` an activity raised: wrapped in an ActivityFailure when it was scheduled on the server, bare when it ran locally. */
export function raisedByActivity(error: unknown, type: ActivityFailureType): ApplicationFailure | undefined {
  const raised = error instanceof ActivityFailure ? error.cause : error;
  return raised instanceof ApplicationFailure && raised.type === type ? raised : undefined;
}
