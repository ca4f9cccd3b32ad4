import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { releaseEndedHolds, sendGovernanceDigest } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 20 },
});

/**
 * Started by the digest schedule: first releases suspensions whose holding incident ended without
 * letting go, then each governance lead gets the overdue reviews and tasks.
 */
export async function governanceDigestWorkflow(): Promise<{ recipients: number; overdueReviews: number; overdueTasks: number; holdsReleased: number }> {
  const { released } = await releaseEndedHolds();
  return { ...(await sendGovernanceDigest({ runKey: workflowInfo().workflowId })), holdsReleased: released.length };
}
