import type { TaskAssignee, TaskKind, TaskStatus, TaskSubject } from '../domain/task';
import type { Queryable } from './pool';

export interface TaskRecord {
  id: string;
  systemId: string;
  kind: TaskKind;
  title: string;
  workflowId: string;
  requesterId: string;
  status: TaskStatus;
  currentStep: number;
  stepCount: number;
  subjectHash: string;
  subjectVersion: number;
  /** The SLA deadline of the current step; past it the task is overdue. */
  dueAt: string;
  /** When the next escalation level acts (equal to dueAt before any escalation). */
  nextDeadlineAt: string;
  escalationLevel: number;
  remindersSent: number;
  outcome: string | null;
  policyVersion: string;
  openedAt: string;
  closedAt: string | null;
  /** The current seats: who may decide now. */
  assignees: (TaskAssignee & { addedAtLevel: number; step: number })[];
}

export interface DecisionRecord {
  updateId: string;
  actorId: string;
  onBehalfOf: string | null;
  step: number;
  snapshotHash: string;
  choice: string;
  comment: string | null;
  submission: unknown;
  decidedAt: string;
}

const taskColumns = `t.*, COALESCE((SELECT json_agg(json_build_object('principalId', a.principal_id, 'onBehalfOf', a.on_behalf_of,
    'addedAtLevel', a.added_at_level, 'step', a.step) ORDER BY a.added_at, a.principal_id)
    FROM task_assignees a WHERE a.task_id = t.id AND a.active), '[]') AS assignees`;

const toTask = (row: Record<string, any>): TaskRecord => ({
  id: row.id,
  systemId: row.system_id,
  kind: row.kind,
  title: row.title,
  workflowId: row.workflow_id,
  requesterId: row.requester_id,
  status: row.status,
  currentStep: row.current_step,
  stepCount: row.step_count,
  subjectHash: row.subject_hash,
  subjectVersion: row.subject_version,
  dueAt: row.due_at.toISOString(),
  nextDeadlineAt: row.next_deadline_at.toISOString(),
  escalationLevel: row.escalation_level,
  remindersSent: row.reminders_sent,
  outcome: row.outcome,
  policyVersion: row.policy_version,
  openedAt: row.opened_at.toISOString(),
  closedAt: row.closed_at?.toISOString() ?? null,
  assignees: row.assignees,
});

export async function insertTask(
  db: Queryable,
  task: Pick<TaskRecord, 'id' | 'systemId' | 'kind' | 'title' | 'workflowId' | 'requesterId' | 'stepCount' | 'dueAt' | 'policyVersion'> & {
    subject: TaskSubject;
  },
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO tasks (id, system_id, kind, title, workflow_id, requester_id, step_count, due_at, next_deadline_at, policy_version,
       subject_hash, subject_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11) ON CONFLICT (id) DO NOTHING`,
    [
      task.id,
      task.systemId,
      task.kind,
      task.title,
      task.workflowId,
      task.requesterId,
      task.stepCount,
      task.dueAt,
      task.policyVersion,
      task.subject.hash,
      task.subject.version,
    ],
  );
  return result.rowCount === 1;
}

/**
 * Seats assignees on the task (reactivating a former seat). The level records which escalation level
 * added a newcomer; a seat that was already active keeps the level it came with.
 */
export async function seatAssignees(db: Queryable, taskId: string, step: number, assignees: readonly TaskAssignee[], level: number) {
  for (const assignee of assignees) {
    await db.query(
      `INSERT INTO task_assignees (task_id, principal_id, added_at_level, step, on_behalf_of) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (task_id, principal_id) DO UPDATE SET step = EXCLUDED.step, on_behalf_of = EXCLUDED.on_behalf_of,
         added_at_level = CASE WHEN task_assignees.active THEN task_assignees.added_at_level ELSE EXCLUDED.added_at_level END,
         added_at = CASE WHEN task_assignees.active THEN task_assignees.added_at ELSE now() END,
         active = true`,
      [taskId, assignee.principalId, level, step, assignee.onBehalfOf],
    );
  }
}

export async function unseatAll(db: Queryable, taskId: string) {
  await db.query('UPDATE task_assignees SET active = false WHERE task_id = $1', [taskId]);
}

export async function activeAssignees(db: Queryable, taskId: string): Promise<TaskAssignee[]> {
  const { rows } = await db.query<{ principal_id: string; on_behalf_of: string | null }>(
    'SELECT principal_id, on_behalf_of FROM task_assignees WHERE task_id = $1 AND active ORDER BY added_at, principal_id',
    [taskId],
  );
  return rows.map((row) => ({ principalId: row.principal_id, onBehalfOf: row.on_behalf_of }));
}

export async function getTask(db: Queryable, id: string): Promise<TaskRecord | undefined> {
  const { rows } = await db.query(`SELECT ${taskColumns} FROM tasks t WHERE t.id = $1`, [id]);
  return rows[0] && toTask(rows[0]);
}

export interface TaskFilter {
  assigneeId?: string;
  systemId?: string;
  status?: TaskStatus;
  /** Open and past due. */
  overdue?: boolean;
  escalationLevel?: number;
  limit: number;
}

export async function listTasks(db: Queryable, filter: TaskFilter): Promise<TaskRecord[]> {
  const { rows } = await db.query(
    `SELECT ${taskColumns} FROM tasks t
     WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.principal_id = $1 AND a.active))
       AND ($2::uuid IS NULL OR t.system_id = $2)
       AND ($3::text IS NULL OR t.status = $3)
       AND (NOT $4 OR (t.status = 'open' AND t.due_at < now()))
       AND ($5::int IS NULL OR t.escalation_level = $5)
     ORDER BY t.due_at LIMIT $6`,
    [filter.assigneeId ?? null, filter.systemId ?? null, filter.status ?? null, filter.overdue ?? false, filter.escalationLevel ?? null, filter.limit],
  );
  return rows.map(toTask);
}

export async function insertDecision(db: Queryable, taskId: string, decision: Omit<DecisionRecord, 'decidedAt'>): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO decisions (task_id, update_id, actor_id, on_behalf_of, step, snapshot_hash, choice, comment, submission)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (task_id, update_id) DO NOTHING`,
    [
      taskId,
      decision.updateId,
      decision.actorId,
      decision.onBehalfOf,
      decision.step,
      decision.snapshotHash,
      decision.choice,
      decision.comment,
      decision.submission ?? null,
    ],
  );
  return result.rowCount === 1;
}

export async function decisionsOf(db: Queryable, taskId: string): Promise<DecisionRecord[]> {
  return (await decisionsOfTasks(db, [taskId])).get(taskId) ?? [];
}

/** The decisions of many tasks in one query, by task id, each list in the order they were made. */
export async function decisionsOfTasks(db: Queryable, taskIds: readonly string[]): Promise<Map<string, DecisionRecord[]>> {
  const { rows } = await db.query('SELECT * FROM decisions WHERE task_id = ANY($1::uuid[]) ORDER BY decided_at', [taskIds]);
  const byTask = new Map<string, DecisionRecord[]>();
  for (const row of rows) {
    const decisions = byTask.get(row.task_id) ?? [];
    decisions.push(toDecision(row));
    byTask.set(row.task_id, decisions);
  }
  return byTask;
}

const toDecision = (row: Record<string, any>): DecisionRecord => ({
  updateId: row.update_id,
  actorId: row.actor_id,
  onBehalfOf: row.on_behalf_of,
  step: row.step,
  snapshotHash: row.snapshot_hash,
  choice: row.choice,
  comment: row.comment,
  submission: row.submission,
  decidedAt: row.decided_at.toISOString(),
});

export async function updateTaskProgress(
  db: Queryable,
  taskId: string,
  progress: {
    dueAt?: string;
    nextDeadlineAt?: string;
    escalationLevel?: number;
    remindersSent?: number;
    currentStep?: number;
    stepCount?: number;
    subject?: TaskSubject;
  },
) {
  await db.query(
    `UPDATE tasks SET due_at = COALESCE($2, due_at), escalation_level = COALESCE($3, escalation_level),
       reminders_sent = COALESCE($4, reminders_sent), current_step = COALESCE($5, current_step),
       subject_hash = COALESCE($6, subject_hash), subject_version = COALESCE($7, subject_version),
       step_count = COALESCE($8, step_count), next_deadline_at = COALESCE($9, $2, next_deadline_at)
     WHERE id = $1`,
    [
      taskId,
      progress.dueAt ?? null,
      progress.escalationLevel ?? null,
      progress.remindersSent ?? null,
      progress.currentStep ?? null,
      progress.subject?.hash ?? null,
      progress.subject?.version ?? null,
      progress.stepCount ?? null,
      progress.nextDeadlineAt ?? null,
    ],
  );
}

/** Closes an open task; returns false when it was already closed (a retried close). */
export async function closeTask(db: Queryable, taskId: string, status: Exclude<TaskStatus, 'open'>, outcome: string | null) {
  const result = await db.query(`UPDATE tasks SET status = $2, outcome = $3, closed_at = now() WHERE id = $1 AND status = 'open'`, [taskId, status, outcome]);
  // The task's links end with it, after a grace long enough to answer a decision retried after a 503.
  await db.query(`UPDATE action_tokens SET expires_at = LEAST(expires_at, now() + interval '15 minutes') WHERE task_id = $1`, [taskId]);
  return result.rowCount === 1;
}

/**
 * An open task on which `holderId` holds a seat that `otherId` may not take, being its requester or
 * its system's owner; undefined when there is none.
 */
export async function openSeatExcluding(db: Queryable, holderId: string, otherId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT t.id FROM tasks t
       JOIN task_assignees a ON a.task_id = t.id AND a.active AND a.principal_id = $1
       JOIN ai_systems s ON s.id = t.system_id
      WHERE t.status = 'open' AND (t.requester_id = $2 OR s.owner_id = $2)
      ORDER BY t.id LIMIT 1`,
    [holderId, otherId],
  );
  return rows[0]?.id;
}

/** Whether the principal holds a seat on an open task of the system, or decided (or was decided for) on any of its tasks. */
export async function seatedOnOrDecidedOn(db: Queryable, principalId: string, systemId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `SELECT 1 FROM tasks t JOIN task_assignees a ON a.task_id = t.id
      WHERE t.system_id = $1 AND a.principal_id = $2 AND a.active AND t.status = 'open'
     UNION ALL
     SELECT 1 FROM tasks t JOIN decisions d ON d.task_id = t.id WHERE t.system_id = $1 AND $2 IN (d.actor_id, d.on_behalf_of)
     LIMIT 1`,
    [systemId, principalId],
  );
  return rowCount === 1;
}

/** Whether the principal decided on the task, or was decided for. */
export async function decidedOnOrFor(db: Queryable, principalId: string, taskId: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM decisions WHERE task_id = $1 AND $2 IN (actor_id, on_behalf_of) LIMIT 1', [taskId, principalId]);
  return rowCount === 1;
}
