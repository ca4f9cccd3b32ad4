import { appendAuditEvent } from '../db/audit';
import { inTransaction } from '../db/pool';
import { reviewability } from '../db/reviews';
import { effectiveState, getSystem, leaveSuspension, lockSystem } from '../db/systems';
import type { LifecycleState } from '../domain/lifecycle';
import type { ReviewAttestation, ReviewClosing, ReviewReason } from '../domain/review';
import type { RiskTier } from '../domain/system';
import { moveState } from './intake';
import type { ActivityDeps } from '.';

export type OpenedReview =
  { status: 'opened'; reviewId: string; ownerId: string; tier: RiskTier; fromSuspension: boolean } | { status: 'skipped'; why: string; state: LifecycleState };

export function createReviewActivities({ pool }: ActivityDeps) {
  return {
    /**
     * Opens a review of an active system (or of one suspended by a failed re-assessment, taken up
     * again), moving it to under_review. Skips, with an audit event, when the system is in no state
     * to be reviewed or another review is open: that review weighs what this one would have.
     */
    async openReview(input: { reviewId: string; systemId: string; workflowId: string; reason: ReviewReason; requesterId: string }): Promise<OpenedReview> {
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const { rows: existing } = await db.query('SELECT id, from_state FROM reviews WHERE workflow_id = $1', [input.workflowId]);
        const opened = (reviewId: string, fromState: string): OpenedReview => ({
          status: 'opened',
          reviewId,
          ownerId: system.ownerId,
          tier: system.riskTier!,
          fromSuspension: fromState === 'suspended',
        });
        if (existing[0]) return opened(existing[0].id, existing[0].from_state);

        const now = await reviewability(db, system);
        if (!now.reviewable) {
          const why = now.openReview ? `review ${now.openReview} is open and weighs the same` : `an AI system in state '${system.state}' is not reviewed`;
          // A re-assessment a process asked for waits out the suspension instead of being dropped.
          const deferred = !now.openReview && system.state === 'suspended' && input.reason !== 'scheduled' && input.reason !== 'requested';
          if (deferred) await db.query('UPDATE ai_systems SET reassessment_pending = $2 WHERE id = $1', [input.systemId, input.reason]);
          const data = { reason: input.reason, why: deferred ? `${why}: the re-assessment starts when it resumes` : why };
          await appendAuditEvent(db, { key: `${input.workflowId}:skipped`, type: 'review.skipped', systemId: input.systemId, data });
          return { status: 'skipped', why, state: system.state };
        }

        await db.query('INSERT INTO reviews (id, system_id, workflow_id, reason, requester_id, from_state) VALUES ($1, $2, $3, $4, $5, $6)', [
          input.reviewId,
          input.systemId,
          input.workflowId,
          input.reason,
          input.requesterId,
          system.state,
        ]);
        if (now.takenUpAgain) {
          // The failed re-assessment's hold ends here: this review takes the system up again.
          await leaveSuspension(db, system, 'under_review');
        } else {
          await moveState(db, system, 'under_review');
        }
        await appendAuditEvent(db, {
          key: `${input.workflowId}:opened`,
          type: 'review.opened',
          systemId: input.systemId,
          actorId: input.requesterId,
          data: { reviewId: input.reviewId, reason: input.reason, from: system.state, to: 'under_review' },
        });
        return opened(input.reviewId, system.state);
      });
    },

    /**
     * Closes the review. Unchanged: back in service with the next review due. Expired: back in service
     * with the review still overdue, for the dashboard and the digest to show. Answers the state now.
     */
    async closeReview(input: {
      reviewId: string;
      systemId: string;
      closing: ReviewClosing;
      reason: string;
      attestation?: ReviewAttestation;
      nextReviewDue?: string;
    }): Promise<{ state: LifecycleState }> {
      return inTransaction(pool, async (db) => {
        const { rowCount } = await db.query(`UPDATE reviews SET status = $2, attestation = $3, closed_at = now() WHERE id = $1 AND status = 'open'`, [
          input.reviewId,
          input.closing,
          input.attestation ?? null,
        ]);
        const system = await lockSystem(db, input.systemId);
        if (rowCount === 0) return { state: system.state };
        if (input.closing === 'deferred')
          await db.query(`UPDATE ai_systems SET reassessment_pending = 'deferred_reassessment' WHERE id = $1`, [input.systemId]);
        // A system suspended meanwhile stays suspended, and resumes to active.
        if ((input.closing === 'unchanged' || input.closing === 'expired' || input.closing === 'deferred') && effectiveState(system) === 'under_review') {
          await moveState(db, system, 'active');
        }
        if (input.closing === 'unchanged') {
          await db.query('UPDATE ai_systems SET next_review_due = $2, last_reviewed_at = now() WHERE id = $1', [input.systemId, input.nextReviewDue]);
        }
        await appendAuditEvent(db, {
          key: `review:${input.reviewId}:closed`,
          type: input.closing === 'expired' ? 'review.expired' : 'review.completed',
          systemId: input.systemId,
          data: {
            reviewId: input.reviewId,
            outcome: input.closing,
            reason: input.reason,
            attestation: input.attestation ?? null,
            nextReviewDue: input.nextReviewDue ?? null,
          },
        });
        return { state: (await lockSystem(db, input.systemId)).state };
      });
    },

    /**
     * What the review weighs once the owner attested: incidents reported and risk acceptances lapsed since
     * the last review, and the state now.
     */
    async reviewFindings(input: { systemId: string }): Promise<{ incidentsSinceLastReview: number; lapsedAcceptances: number; state: LifecycleState }> {
      const system = await getSystem(pool, input.systemId);
      const { rows } = await pool.query<{ incidents: number; lapsed: number }>(
        `SELECT (SELECT count(*) FROM audit_events WHERE system_id = $1 AND type = 'incident.reported' AND occurred_at > $2)::int AS incidents,
                (SELECT count(*) FROM audit_events WHERE system_id = $1 AND type = 'risk.acceptance_lapsed' AND occurred_at > $2)::int AS lapsed`,
        [input.systemId, system!.lastReviewedAt ?? system!.createdAt],
      );
      return { incidentsSinceLastReview: rows[0].incidents, lapsedAcceptances: rows[0].lapsed, state: system!.state };
    },

    /** The versions a re-assessment's first assessment and plan get: numbering continues over the system's life. */
    async nextAssessmentVersions(input: { systemId: string }): Promise<{ assessment: number; plan: number }> {
      const { rows } = await pool.query<{ assessment: number; plan: number }>(
        `SELECT (SELECT coalesce(max(version), 0) + 1 FROM impact_assessments WHERE system_id = $1)::int AS assessment,
                (SELECT coalesce(max(version), 0) + 1 FROM risk_registers WHERE system_id = $1)::int AS plan`,
        [input.systemId],
      );
      return rows[0];
    },
  };
}
