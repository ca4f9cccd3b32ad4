import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { checkpointAuditChain } = proxyActivities<Activities>({
  // A walk from genesis of a long chain takes a while; the heartbeat after each page shows it is alive.
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 10 },
});

/** Started by the audit checkpoint schedule: the background verifier of the audit chain. */
export async function auditCheckpointWorkflow(): Promise<{ seq: number; intact: boolean } | null> {
  return await checkpointAuditChain();
}
