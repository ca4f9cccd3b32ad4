import type { ReviewAttestation, ReviewClosing, ReviewReason } from '../domain/review';
import type { Queryable } from './pool';
import { suspendedOnlyByReviews, type AiSystem } from './systems';

export interface ReviewRecord {
  id: string;
  workflowId: string;
  reason: ReviewReason;
  requesterId: string;
  fromState: string;
  status: 'open' | 'cancelled' | ReviewClosing;
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

/**
 * Whether a review may open: `takenUpAgain` when the system is suspended only by failed re-assessments,
 * which this review takes up; refused with the review that is open, or none when it is not in service.
 */
export type Reviewability = { reviewable: true; takenUpAgain: boolean } | { reviewable: false; openReview: string | null };

/** One review at a time, of a system in service or suspended only by failed re-assessments. */
export async function reviewability(db: Queryable, system: AiSystem): Promise<Reviewability> {
  const { rows } = await db.query<{ workflow_id: string }>(`SELECT workflow_id FROM reviews WHERE system_id = $1 AND status = 'open'`, [system.id]);
  if (rows[0]) return { reviewable: false, openReview: rows[0].workflow_id };
  // A prohibited practice found at a review waits for its retirement: no review puts it back into service.
  if (system.riskTier === 'prohibited') return { reviewable: false, openReview: null };
  const takenUpAgain = system.state === 'suspended' && (await suspendedOnlyByReviews(db, system.id));
  if (system.state !== 'active' && !takenUpAgain) return { reviewable: false, openReview: null };
  return { reviewable: true, takenUpAgain };
}
