import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { forgetOldLocalActivityResults, releaseEndedHolds, sendGovernanceDigest } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

/**
 * Started by the digest schedule: first releases suspensions whose holding incident ended without
 * letting go, then each governance lead gets the overdue reviews and tasks, and last the local
 * activities' answers kept for their reruns are forgotten once old (digests before that did not).
 */
export async function governanceDigestWorkflow(): Promise<{ recipients: number; overdueReviews: number; overdueTasks: number; holdsReleased: number }> {
  const { released } = await releaseEndedHolds();
  const digest = await sendGovernanceDigest({ runKey: workflowInfo().workflowId });
  if (patched('forget-old-local-activity-results')) await forgetOldLocalActivityResults();
  return { ...digest, holdsReleased: released.length };
}
