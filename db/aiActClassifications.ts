import type { AiActClassification } from '../domain/aiActClassification';
import type { Queryable } from './pool';

export interface RecordedAiActClassification extends AiActClassification {
  intakeVersion: number;
  classifiedAt: string;
}

/** Keeps the classification of one intake version; the same version classified again (a retried triage) keeps the first. */
export async function insertAiActClassification(db: Queryable, systemId: string, intakeVersion: number, classification: AiActClassification): Promise<void> {
  await db.query(
    `INSERT INTO ai_act_classifications (system_id, intake_version, rules_version, in_scope, prohibited, high_risk, classification)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (system_id, intake_version) DO NOTHING`,
    [systemId, intakeVersion, classification.rulesVersion, classification.inScope, classification.prohibited, classification.highRisk, classification],
  );
}

/** The classification of the system's latest classified intake version, if its intake answered the questions. */
export async function latestAiActClassification(db: Queryable, systemId: string): Promise<RecordedAiActClassification | undefined> {
  const { rows } = await db.query<{ intake_version: number; classification: AiActClassification; classified_at: Date }>(
    'SELECT intake_version, classification, classified_at FROM ai_act_classifications WHERE system_id = $1 ORDER BY intake_version DESC LIMIT 1',
    [systemId],
  );
  const row = rows[0];
  return row && { ...row.classification, intakeVersion: row.intake_version, classifiedAt: row.classified_at.toISOString() };
}
