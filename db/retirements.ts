import { RecordNotFoundError } from '../domain/failures';
import type { TaskKind } from '../domain/task';
import type { Queryable } from './pool';

export type RetirementStatus = 'requested' | 'rejected' | 'withdrawn' | 'expired' | 'retiring' | 'retired';

export interface ChecklistItemRecord {
  round: number;
  item: TaskKind;
  /** The item's current task: a new one each time it reopened for the governance leads. */
  taskId: string;
  reopened: number;
  status: 'open' | 'done';
  evidence: string | null;
  doneBy: string | null;
  doneAt: string | null;
}

export interface RetirementRecord {
  /** The run id of the retirement workflow that recorded it. */
  id: string;
  systemId: string;
  workflowId: string;
  requesterId: string;
  reason: string;
  retireOn: string;
  requestHash: string;
  status: RetirementStatus;
  statusReason: string | null;
  checklistRound: number;
  requestedAt: string;
  decidedAt: string | null;
  retiredAt: string | null;
  /** Every round of the checklist, oldest first. */
  checklist: ChecklistItemRecord[];
}

const retirementColumns = `id, system_id, workflow_id, requester_id, reason, retire_on::text AS retire_on, request_hash, status, status_reason,
  checklist_round, requested_at, decided_at, retired_at`;

const toChecklistItem = (row: Record<string, any>): ChecklistItemRecord => ({
  round: row.round,
  item: row.item,
  taskId: row.task_id,
  reopened: row.reopened,
  status: row.status,
  evidence: row.evidence,
  doneBy: row.done_by,
  doneAt: row.done_at?.toISOString() ?? null,
});

const toRetirement = (row: Record<string, any>, checklist: ChecklistItemRecord[]): RetirementRecord => ({
  id: row.id,
  systemId: row.system_id,
  workflowId: row.workflow_id,
  requesterId: row.requester_id,
  reason: row.reason,
  retireOn: row.retire_on,
  requestHash: row.request_hash,
  status: row.status,
  statusReason: row.status_reason,
  checklistRound: row.checklist_round,
  requestedAt: row.requested_at.toISOString(),
  decidedAt: row.decided_at?.toISOString() ?? null,
  retiredAt: row.retired_at?.toISOString() ?? null,
  checklist,
});

async function withChecklists(db: Queryable, rows: Record<string, any>[]): Promise<RetirementRecord[]> {
  if (rows.length === 0) return [];
  const { rows: items } = await db.query('SELECT * FROM retirement_checklist WHERE retirement_id = ANY($1) ORDER BY round, item', [rows.map((row) => row.id)]);
  return rows.map((row) => toRetirement(row, items.filter((item) => item.retirement_id === row.id).map(toChecklistItem)));
}

/** Records a request once; a retried insert of the same retirement changes nothing. */
export async function insertRetirement(
  db: Queryable,
  retirement: { id: string; systemId: string; workflowId: string; requesterId: string; reason: string; retireOn: string; requestHash: string },
): Promise<void> {
  await db.query(
    `INSERT INTO retirements (id, system_id, workflow_id, requester_id, reason, retire_on, request_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING`,
    [retirement.id, retirement.systemId, retirement.workflowId, retirement.requesterId, retirement.reason, retirement.retireOn, retirement.requestHash],
  );
}

export async function lockRetirement(db: Queryable, id: string): Promise<RetirementRecord> {
  const { rows } = await db.query(`SELECT ${retirementColumns} FROM retirements WHERE id = $1 FOR UPDATE`, [id]);
  if (!rows[0]) throw new RecordNotFoundError(`retirement ${id}`);
  return toRetirement(rows[0], []);
}

export async function setRetirementStatus(db: Queryable, id: string, status: RetirementStatus, reason: string | null): Promise<void> {
  await db.query(
    `UPDATE retirements SET status = $2, status_reason = $3,
       decided_at = CASE WHEN status = 'requested' THEN now() ELSE decided_at END,
       retired_at = CASE WHEN $2 = 'retired' THEN now() ELSE retired_at END
     WHERE id = $1`,
    [id, status, reason],
  );
}

export async function startChecklistRound(db: Queryable, id: string, round: number): Promise<void> {
  await db.query('UPDATE retirements SET checklist_round = GREATEST(checklist_round, $2) WHERE id = $1', [id, round]);
}

/** The task now holding a checklist item; a retry writes the same values again. */
export async function upsertChecklistItem(db: Queryable, item: { retirementId: string; round: number; item: TaskKind; taskId: string; reopened: number }) {
  await db.query(
    `INSERT INTO retirement_checklist (retirement_id, round, item, task_id, reopened) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (retirement_id, round, item) DO UPDATE SET task_id = EXCLUDED.task_id, reopened = EXCLUDED.reopened
     WHERE retirement_checklist.status = 'open'`,
    [item.retirementId, item.round, item.item, item.taskId, item.reopened],
  );
}

/** Marks an item done with its evidence; answers false when it already was (a retry). */
export async function completeChecklistItem(
  db: Queryable,
  item: { retirementId: string; round: number; item: TaskKind; evidence: string; doneBy: string },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE retirement_checklist SET status = 'done', evidence = $4, done_by = $5, done_at = now()
     WHERE retirement_id = $1 AND round = $2 AND item = $3 AND status = 'open'`,
    [item.retirementId, item.round, item.item, item.evidence, item.doneBy],
  );
  return rowCount === 1;
}

export async function checklistRound(db: Queryable, retirementId: string, round: number): Promise<ChecklistItemRecord[]> {
  const { rows } = await db.query('SELECT * FROM retirement_checklist WHERE retirement_id = $1 AND round = $2 ORDER BY item', [retirementId, round]);
  return rows.map(toChecklistItem);
}

/** The system's latest retirement, running or ended, with its checklist. */
export async function latestRetirement(db: Queryable, systemId: string): Promise<RetirementRecord | undefined> {
  const { rows } = await db.query(`SELECT ${retirementColumns} FROM retirements WHERE system_id = $1 ORDER BY requested_at DESC LIMIT 1`, [systemId]);
  return (await withChecklists(db, rows))[0];
}

/** Every retirement of a system, oldest first, each with its checklist. */
export async function retirementsOf(db: Queryable, systemId: string): Promise<RetirementRecord[]> {
  const { rows } = await db.query(`SELECT ${retirementColumns} FROM retirements WHERE system_id = $1 ORDER BY requested_at`, [systemId]);
  return withChecklists(db, rows);
}
