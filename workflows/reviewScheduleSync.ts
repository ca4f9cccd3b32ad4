import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { recordKeeping } from './activityOptions';
import type { ReviewScheduleSyncInput } from './contracts';

const { syncReviewSchedule } = proxyActivities<Activities>(recordKeeping);

/**
 * Brings a system's review schedule to its tier's interval after a change made outside its processes
 * (a governance lead re-tiering it): the api starts this and answers with the interval, and a schedule
 * Temporal could not reach at that moment is still brought along once it can.
 */
export async function reviewScheduleSyncWorkflow(input: ReviewScheduleSyncInput): Promise<{ every: number }> {
  return syncReviewSchedule(input);
}
