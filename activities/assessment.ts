import { appendAuditEvent } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction } from '../db/pool';
import type { ImpactAssessment, ImpactLevel } from '../domain/assessment';
import { canonicalJson } from '../domain/policy';
import type { TaskSubject } from '../domain/task';
import type { ActivityDeps } from '.';

export function createAssessmentActivities({ pool }: ActivityDeps) {
  return {
    /** Stores a submitted version; its hash is the subject the specialist reviews are bound to. */
    async saveImpactAssessment(input: { systemId: string; version: number; content: ImpactAssessment; submittedBy: string }): Promise<TaskSubject> {
      const subject = { hash: sha256Hex(canonicalJson(input.content)), version: input.version };
      await inTransaction(pool, async (db) => {
        await db.query(
          `INSERT INTO impact_assessments (system_id, version, content, content_hash, submitted_by) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (system_id, version) DO NOTHING`,
          [input.systemId, input.version, input.content, subject.hash, input.submittedBy],
        );
        await appendAuditEvent(db, {
          key: `${input.systemId}:assessment:${input.version}:submitted`,
          type: 'assessment.submitted',
          systemId: input.systemId,
          actorId: input.submittedBy,
          data: { version: input.version, contentHash: subject.hash },
        });
      });
      return subject;
    },

    /** The reviewers' verdict on one version; an approval sets the system's impact level. */
    async recordImpactAssessmentOutcome(input: {
      systemId: string;
      version: number;
      outcome: 'approved' | 'rejected' | 'changes_requested';
      impactLevel: ImpactLevel;
      reviews: { role: string; status: string; choice?: string }[];
    }) {
      await inTransaction(pool, async (db) => {
        // Only the first attempt decides; a retry finds the verdict set and changes nothing twice.
        const decided = await db.query(
          'UPDATE impact_assessments SET outcome = $3, impact_level = $4, decided_at = now() WHERE system_id = $1 AND version = $2 AND outcome IS NULL',
          [input.systemId, input.version, input.outcome, input.outcome === 'approved' ? input.impactLevel : null],
        );
        if (decided.rowCount === 1 && input.outcome === 'approved') {
          await db.query('UPDATE ai_systems SET impact_level = $2, version = version + 1, updated_at = now() WHERE id = $1', [
            input.systemId,
            input.impactLevel,
          ]);
        }
        await appendAuditEvent(db, {
          key: `${input.systemId}:assessment:${input.version}:${input.outcome}`,
          type: `assessment.${input.outcome}`,
          systemId: input.systemId,
          data: { version: input.version, impactLevel: input.outcome === 'approved' ? input.impactLevel : null, reviews: input.reviews },
        });
      });
    },
  };
}
