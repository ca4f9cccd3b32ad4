import { appendAuditEvent } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction } from '../db/pool';
import { canonicalJson } from '../domain/policy';
import { residualRiskOf, type RiskRegister } from '../domain/risk';
import type { TaskSubject } from '../domain/task';
import type { ActivityDeps } from '.';

export function createRiskTreatmentActivities({ pool }: ActivityDeps) {
  return {
    /** Stores a submitted register version; its hash is the subject the sign-off chain decides on. */
    async saveRiskRegister(input: { systemId: string; version: number; content: RiskRegister; submittedBy: string }): Promise<TaskSubject> {
      const subject = { hash: sha256Hex(canonicalJson(input.content)), version: input.version };
      const residualRisk = residualRiskOf(input.content);
      await inTransaction(pool, async (db) => {
        await db.query(
          `INSERT INTO risk_registers (system_id, version, content, content_hash, residual_risk, submitted_by) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (system_id, version) DO NOTHING`,
          [input.systemId, input.version, input.content, subject.hash, residualRisk, input.submittedBy],
        );
        await appendAuditEvent(db, {
          key: `${input.systemId}:risk-register:${input.version}:submitted`,
          type: 'risk_treatment.submitted',
          systemId: input.systemId,
          actorId: input.submittedBy,
          data: { version: input.version, contentHash: subject.hash, residualRisk, risks: input.content.risks.length },
        });
      });
      return subject;
    },

    /** The sign-off's verdict on one version; an approval records the system's residual risk. */
    async recordRiskTreatmentOutcome(input: { systemId: string; version: number; outcome: 'approved' | 'rejected' | 'changes_requested' }) {
      await inTransaction(pool, async (db) => {
        // Only the first attempt decides; a retry finds the verdict set and changes nothing twice.
        const { rows } = await db.query<{ residual_risk: string }>(
          'UPDATE risk_registers SET outcome = $3, decided_at = now() WHERE system_id = $1 AND version = $2 AND outcome IS NULL RETURNING residual_risk',
          [input.systemId, input.version, input.outcome],
        );
        if (rows[0] && input.outcome === 'approved') {
          await db.query('UPDATE ai_systems SET residual_risk = $2, version = version + 1, updated_at = now() WHERE id = $1', [input.systemId, rows[0].residual_risk]);
        }
        await appendAuditEvent(db, {
          key: `${input.systemId}:risk-register:${input.version}:${input.outcome}`,
          type: `risk_treatment.${input.outcome}`,
          systemId: input.systemId,
          data: { version: input.version, residualRisk: rows[0]?.residual_risk ?? null },
        });
      });
    },
  };
}
