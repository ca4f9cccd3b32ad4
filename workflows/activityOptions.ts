import type { ActivityOptions } from '@temporalio/workflow';

/**
 * The options of the activities that keep the records: each is safe to repeat, and a process must
 * outlast a database outage, so it retries until it works.
 */
export const recordKeeping = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const satisfies ActivityOptions;
