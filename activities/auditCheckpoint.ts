import { heartbeat } from '@temporalio/activity';
import { recordAuditCheckpoint } from '../db/auditCheckpoint';
import type { ActivityDeps } from '.';

export function createAuditCheckpointActivities({ auditCheckpoints }: ActivityDeps) {
  return {
    /** Walks the audit chain on from the last checkpoint and signs where it got to; heartbeats each page. */
    async checkpointAuditChain(): Promise<{ seq: number; intact: boolean } | null> {
      const checkpoint = await recordAuditCheckpoint(auditCheckpoints.pool, auditCheckpoints.signer, {
        walkFromGenesisEveryMs: auditCheckpoints.walkFromGenesisEveryMs,
        onPage: () => heartbeat(),
      });
      return checkpoint && { seq: checkpoint.seq, intact: !checkpoint.brokenLink };
    },
  };
}
