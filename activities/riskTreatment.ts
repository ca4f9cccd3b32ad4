import { appendAuditEvent } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction } from '../db/pool';
import { canonicalJson } from '../domain/policy';
import { residualRiskOf, type RiskLevel, type RiskRegister } from '../domain/risk';
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
          await db.query('UPDATE ai_systems SET residual_risk = $2, version = version + 1, updated_at = now() WHERE id = $1', [
            input.systemId,
            rows[0].residual_risk,
          ]);
        }
        await appendAuditEvent(db, {
          key: `${input.systemId}:risk-register:${input.version}:${input.outcome}`,
          type: `risk_treatment.${input.outcome}`,
          systemId: input.systemId,
          data: { version: input.version, residualRisk: rows[0]?.residual_risk ?? null },
        });
      });
    },

    /**
     * The accepted risks of a signed-off register, each accepted until its date; acceptances of earlier
     * versions are superseded. Answers what each watch needs.
     */
    async recordRiskAcceptances(input: { systemId: string; version: number }): Promise<{ riskId: string; residual: RiskLevel; expiresAt: string }[]> {
      return inTransaction(pool, async (db) => {
        const { rows } = await db.query<{ content: RiskRegister }>('SELECT content FROM risk_registers WHERE system_id = $1 AND version = $2', [
          input.systemId,
          input.version,
        ]);
        const accepted = rows[0].content.risks.filter((risk) => risk.treatment === 'accept');
        await db.query(`UPDATE risk_acceptances SET status = 'superseded' WHERE system_id = $1 AND register_version < $2 AND status = 'accepted'`, [
          input.systemId,
          input.version,
        ]);
        for (const risk of accepted) {
          await db.query(
            `INSERT INTO risk_acceptances (system_id, risk_id, register_version, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (system_id, risk_id) DO UPDATE SET register_version = excluded.register_version, expires_at = excluded.expires_at,
               status = 'accepted', reaccepted_count = 0
             WHERE risk_acceptances.register_version < excluded.register_version`,
            [input.systemId, risk.id, input.version, risk.acceptanceExpiresAt],
          );
        }
        return accepted.map((risk) => ({ riskId: risk.id, residual: risk.residual, expiresAt: new Date(risk.acceptanceExpiresAt!).toISOString() }));
      });
    },

    /** Whether the acceptance still stands as this watch knows it, and the subject its re-acceptance decides on. */
    async riskAcceptanceDue(input: {
      systemId: string;
      riskId: string;
      registerVersion: number;
      expiresAt: string;
    }): Promise<{ due: boolean; subject: TaskSubject }> {
      const { rows } = await pool.query(
        `SELECT a.reaccepted_count FROM risk_acceptances a JOIN ai_systems s ON s.id = a.system_id
         WHERE a.system_id = $1 AND a.risk_id = $2 AND a.register_version = $3 AND a.status = 'accepted' AND a.expires_at = $4
           AND s.state NOT IN ('retiring', 'retired', 'withdrawn', 'rejected')`,
        [input.systemId, input.riskId, input.registerVersion, input.expiresAt],
      );
      const subject = { hash: sha256Hex(canonicalJson(input)), version: (rows[0]?.reaccepted_count ?? 0) + 1 };
      return { due: rows.length === 1, subject };
    },

    async recordReacceptance(input: { systemId: string; riskId: string; registerVersion: number; expiresAt: string; taskId: string }) {
      await inTransaction(pool, async (db) => {
        await db.query(
          `UPDATE risk_acceptances SET expires_at = $4, reaccepted_count = reaccepted_count + 1
           WHERE system_id = $1 AND risk_id = $2 AND register_version = $3 AND expires_at < $4`,
          [input.systemId, input.riskId, input.registerVersion, input.expiresAt],
        );
        await appendAuditEvent(db, {
          key: `${input.taskId}:reaccepted`,
          type: 'risk.reaccepted',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { riskId: input.riskId, registerVersion: input.registerVersion, expiresAt: input.expiresAt },
        });
      });
    },

    async recordAcceptanceLapsed(input: { systemId: string; riskId: string; registerVersion: number; reason: string; taskId: string }) {
      await inTransaction(pool, async (db) => {
        await db.query(`UPDATE risk_acceptances SET status = 'lapsed' WHERE system_id = $1 AND risk_id = $2 AND register_version = $3`, [
          input.systemId,
          input.riskId,
          input.registerVersion,
        ]);
        await appendAuditEvent(db, {
          key: `${input.taskId}:acceptance_lapsed`,
          type: 'risk.acceptance_lapsed',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { riskId: input.riskId, registerVersion: input.registerVersion, reason: input.reason },
        });
      });
    },
  };
}
