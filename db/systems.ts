import type { ImpactLevel } from '../domain/assessment';
import { RecordNotFoundError } from '../domain/failures';
import { assertTransition, inServiceStates, type LifecycleState } from '../domain/lifecycle';
import type { IntakeRequest, RiskTier } from '../domain/system';
import type { Queryable } from './pool';

export interface AiSystem {
  id: string;
  name: string;
  ownerId: string;
  businessUnit: string;
  intake: IntakeRequest;
  state: LifecycleState;
  riskTier: RiskTier | null;
  triageRule: string | null;
  triageReason: string | null;
  /** Set by an approved impact assessment: the severity of the worst harm it names. */
  impactLevel: ImpactLevel | null;
  nextReviewDue: string | null;
  lastReviewedAt: string | null;
  /** While suspended: the state the system's processes have moved it to, to which it resumes. */
  suspendedFrom: LifecycleState | null;
  policyVersion: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

const toSystem = (row: Record<string, any>): AiSystem => ({
  id: row.id,
  name: row.name,
  ownerId: row.owner_id,
  businessUnit: row.business_unit,
  intake: row.intake,
  state: row.state,
  riskTier: row.risk_tier,
  triageRule: row.triage_rule,
  triageReason: row.triage_reason,
  impactLevel: row.impact_level,
  nextReviewDue: row.next_review_due?.toISOString() ?? null,
  lastReviewedAt: row.last_reviewed_at?.toISOString() ?? null,
  suspendedFrom: row.suspended_from ?? null,
  policyVersion: row.policy_version,
  version: row.version,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Inserts the system in state intake; returns false when it already existed (a retried registration). */
export async function insertSystem(db: Queryable, system: { id: string; ownerId: string; intake: IntakeRequest; policyVersion: string }): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO ai_systems (id, name, owner_id, business_unit, intake, state, policy_version)
     VALUES ($1, $2, $3, $4, $5, 'intake', $6) ON CONFLICT (id) DO NOTHING`,
    [system.id, system.intake.name, system.ownerId, system.intake.businessUnit, system.intake, system.policyVersion],
  );
  return result.rowCount === 1;
}

export async function getSystem(db: Queryable, id: string): Promise<AiSystem | undefined> {
  const { rows } = await db.query('SELECT * FROM ai_systems WHERE id = $1', [id]);
  return rows[0] && toSystem(rows[0]);
}

export async function listSystems(db: Queryable, filter: { ownerId?: string; limit: number }): Promise<AiSystem[]> {
  const { rows } = await db.query(`SELECT * FROM ai_systems WHERE ($1::text IS NULL OR owner_id = $1) ORDER BY created_at DESC LIMIT $2`, [
    filter.ownerId ?? null,
    filter.limit,
  ]);
  return rows.map(toSystem);
}

export async function lockSystem(db: Queryable, id: string): Promise<AiSystem> {
  const { rows } = await db.query('SELECT * FROM ai_systems WHERE id = $1 FOR UPDATE', [id]);
  if (!rows[0]) throw new RecordNotFoundError(`AI system ${id}`);
  return toSystem(rows[0]);
}

/** The state the system's processes see: while suspended, the one it resumes to. */
export const effectiveState = (system: AiSystem): LifecycleState => (system.state === 'suspended' && system.suspendedFrom) || system.state;

/**
 * Moves the system along the lifecycle; refuses a transition the state machine does not allow. While the
 * system is suspended a process's move changes the state it resumes to, not the suspension (`held`);
 * retirement ends a suspension. A system on its way out ignores every other process's move (null): those
 * processes are being cancelled.
 */
export async function setSystemState(db: Queryable, current: AiSystem, to: LifecycleState): Promise<{ from: LifecycleState; held: boolean } | null> {
  if ((current.state === 'retiring' && to !== 'retired') || current.state === 'retired') return null;
  const from = effectiveState(current);
  if (current.state === 'suspended' && to !== 'suspended' && to !== 'retiring') {
    if (from === to) return null;
    assertTransition(from, to);
    await db.query('UPDATE ai_systems SET suspended_from = $2, version = version + 1, updated_at = now() WHERE id = $1', [current.id, to]);
    return { from, held: true };
  }
  if (current.state === to) return null;
  assertTransition(current.state, to);
  await db.query('UPDATE ai_systems SET state = $2, suspended_from = $3, version = version + 1, updated_at = now() WHERE id = $1', [
    current.id,
    to,
    to === 'suspended' ? current.state : null,
  ]);
  if (current.state === 'suspended')
    await db.query('UPDATE suspension_holds SET released_at = now() WHERE system_id = $1 AND released_at IS NULL', [current.id]);
  return { from: current.state, held: false };
}

/**
 * A suspended system leaves suspension for good: resumed to the state it holds, or taken up again by
 * a review. Every hold on it ends.
 */
export async function leaveSuspension(db: Queryable, current: AiSystem, to: LifecycleState): Promise<void> {
  assertTransition(current.state, to);
  await db.query('UPDATE suspension_holds SET released_at = now() WHERE system_id = $1 AND released_at IS NULL', [current.id]);
  await db.query('UPDATE ai_systems SET state = $2, suspended_from = NULL, version = version + 1, updated_at = now() WHERE id = $1', [current.id, to]);
}

/** The workflows holding the system suspended now. */
export async function suspensionHolders(db: Queryable, systemId: string): Promise<string[]> {
  const { rows } = await db.query<{ holder: string }>('SELECT holder FROM suspension_holds WHERE system_id = $1 AND released_at IS NULL ORDER BY held_at', [
    systemId,
  ]);
  return rows.map((row) => row.holder);
}

export async function setTriage(db: Queryable, id: string, triage: { tier: RiskTier; ruleId: string; reason: string }) {
  await db.query(
    `UPDATE ai_systems SET risk_tier = $2, triage_rule = $3, triage_reason = $4, version = version + 1, updated_at = now()
     WHERE id = $1`,
    [id, triage.tier, triage.ruleId, triage.reason],
  );
}

export async function setIntake(db: Queryable, id: string, intake: IntakeRequest) {
  await db.query(`UPDATE ai_systems SET intake = $2, name = $3, business_unit = $4, version = version + 1, updated_at = now() WHERE id = $1`, [
    id,
    intake,
    intake.name,
    intake.businessUnit,
  ]);
}

/** A system suspended only by failed re-assessments, which a new review may take up again. */
export async function suspendedOnlyByReviews(db: Queryable, systemId: string): Promise<boolean> {
  const holders = await suspensionHolders(db, systemId);
  return holders.length > 0 && holders.every((holder) => holder.startsWith('review-'));
}

/** A downgrade of the system to `toTier` proposed on this version of it, awaiting a second lead. */
export async function pendingDowngrade(db: Queryable, systemId: string, systemVersion: number, toTier: RiskTier): Promise<{ proposedBy: string } | undefined> {
  const { rows } = await db.query<{ proposed_by: string }>(
    'SELECT proposed_by FROM tier_downgrade_proposals WHERE system_id = $1 AND system_version = $2 AND to_tier = $3',
    [systemId, systemVersion, toTier],
  );
  return rows[0] && { proposedBy: rows[0].proposed_by };
}

/** Records a lead's downgrade proposal; a newer one of the same system replaces it. */
export async function proposeDowngrade(
  db: Queryable,
  proposal: { systemId: string; fromTier: RiskTier; toTier: RiskTier; reason: string; proposedBy: string; systemVersion: number },
): Promise<void> {
  await db.query(
    `INSERT INTO tier_downgrade_proposals (system_id, from_tier, to_tier, reason, proposed_by, system_version) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (system_id) DO UPDATE SET from_tier = $2, to_tier = $3, reason = $4, proposed_by = $5, system_version = $6, proposed_at = now()`,
    [proposal.systemId, proposal.fromTier, proposal.toTier, proposal.reason, proposal.proposedBy, proposal.systemVersion],
  );
}

/** A governance lead's re-tiering, applied. */
export async function setRiskTier(db: Queryable, systemId: string, tier: RiskTier): Promise<void> {
  await db.query('UPDATE ai_systems SET risk_tier = $2, version = version + 1, updated_at = now() WHERE id = $1', [systemId, tier]);
}

export async function clearDowngradeProposals(db: Queryable, systemId: string): Promise<void> {
  await db.query('DELETE FROM tier_downgrade_proposals WHERE system_id = $1', [systemId]);
}

/** Systems with a review schedule to keep: tiered and in service, or suspended from service. */
export async function systemsWithReviewSchedules(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM ai_systems WHERE risk_tier IS NOT NULL
       AND (state = ANY ($1) OR (state = 'suspended' AND suspended_from = ANY ($1))) ORDER BY id`,
    [inServiceStates],
  );
  return rows.map((row) => row.id);
}

/** Whether every review schedule was brought to this policy version already. */
export async function reviewSchedulesSyncedTo(db: Queryable, policyVersion: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM review_schedule_syncs WHERE policy_version = $1', [policyVersion])).rowCount === 1;
}

export async function recordReviewSchedulesSynced(db: Queryable, policyVersion: string): Promise<void> {
  await db.query('INSERT INTO review_schedule_syncs (policy_version) VALUES ($1) ON CONFLICT DO NOTHING', [policyVersion]);
}
