import type { ReviewAttestation, ReviewReason } from '../domain/review';
import type { Queryable } from './pool';

export interface ReviewRecord {
  id: string;
  workflowId: string;
  reason: ReviewReason;
  requesterId: string;
  fromState: string;
  status: 'open' | 'unchanged' | 'reassessed' | 'reassessment_failed' | 'expired' | 'deferred';
  attestation: ReviewAttestation | null;
  openedAt: string;
  closedAt: string | null;
}

/** A system's periodic reviews, newest first. */
export async function reviewsOf(db: Queryable, systemId: string, limit = 100): Promise<ReviewRecord[]> {
  const { rows } = await db.query(
    `SELECT id, workflow_id, reason, requester_id, from_state, status, attestation, opened_at, closed_at
     FROM reviews WHERE system_id = $1 ORDER BY opened_at DESC LIMIT $2`,
    [systemId, limit],
  );
  return rows.map((row) => ({
    id: row.id,
    workflowId: row.workflow_id,
    reason: row.reason,
    requesterId: row.requester_id,
    fromState: row.from_state,
    status: row.status,
    attestation: row.attestation,
    openedAt: row.opened_at.toISOString(),
    closedAt: row.closed_at?.toISOString() ?? null,
  }));
}
