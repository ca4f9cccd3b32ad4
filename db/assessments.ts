import type { ImpactAssessment, ImpactLevel } from '../domain/assessment';
import type { RiskLevel, RiskRegister } from '../domain/risk';
import type { Queryable } from './pool';

export interface ImpactAssessmentRecord {
  version: number;
  content: ImpactAssessment;
  contentHash: string;
  submittedBy: string;
  submittedAt: string;
  outcome: 'approved' | 'rejected' | 'changes_requested' | null;
  impactLevel: ImpactLevel | null;
  decidedAt: string | null;
}

/** Every submitted version of a system's impact assessment, oldest first. */
export async function impactAssessmentsOf(db: Queryable, systemId: string): Promise<ImpactAssessmentRecord[]> {
  const { rows } = await db.query('SELECT * FROM impact_assessments WHERE system_id = $1 ORDER BY version', [systemId]);
  return rows.map((row) => ({
    version: row.version,
    content: row.content,
    contentHash: row.content_hash,
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at.toISOString(),
    outcome: row.outcome,
    impactLevel: row.impact_level,
    decidedAt: row.decided_at?.toISOString() ?? null,
  }));
}

export interface RiskRegisterRecord {
  version: number;
  content: RiskRegister;
  contentHash: string;
  residualRisk: RiskLevel;
  submittedBy: string;
  submittedAt: string;
  outcome: 'approved' | 'rejected' | 'changes_requested' | null;
  decidedAt: string | null;
}

/** Every submitted version of a system's risk treatment plan, oldest first. */
export async function riskRegistersOf(db: Queryable, systemId: string): Promise<RiskRegisterRecord[]> {
  const { rows } = await db.query('SELECT * FROM risk_registers WHERE system_id = $1 ORDER BY version', [systemId]);
  return rows.map((row) => ({
    version: row.version,
    content: row.content,
    contentHash: row.content_hash,
    residualRisk: row.residual_risk,
    submittedBy: row.submitted_by,
    submittedAt: row.submitted_at.toISOString(),
    outcome: row.outcome,
    decidedAt: row.decided_at?.toISOString() ?? null,
  }));
}
