import type { ApprovalRule, TaskKind, TaskStatus } from '../domain/task';
import type { Queryable } from './pool';

export interface TaskRecord {
  id: string;
  systemId: string;
  kind: TaskKind;
  title: string;
  workflowId: string;
  requesterId: string;
  rule: ApprovalRule;
  status: TaskStatus;
  dueAt: string;
  escalationLevel: number;
  remindersSent: number;
  outcome: string | null;
  policyVersion: string;
  openedAt: string;
  closedAt: string | null;
  assignees: { principalId: string; addedAtLevel: number }[];
}

export interface DecisionRecord {
  updateId: string;
  actorId: string;
  choice: string;
  comment: string | null;
  submission: unknown;
  decidedAt: string;
}

const taskColumns = `t.*, COALESCE((SELECT json_agg(json_build_object('principalId', a.principal_id, 'addedAtLevel', a.added_at_level)
    ORDER BY a.added_at, a.principal_id) FROM task_assignees a WHERE a.task_id = t.id), '[]') AS assignees`;

const toTask = (row: Record<string, any>): TaskRecord => ({
  id: row.id,
  systemId: row.system_id,
  kind: row.kind,
  title: row.title,
  workflowId: row.workflow_id,
  requesterId: row.requester_id,
  rule: row.rule,
  status: row.status,
  dueAt: row.due_at.toISOString(),
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
  task: Pick<TaskRecord, 'id' | 'systemId' | 'kind' | 'title' | 'workflowId' | 'requesterId' | 'rule' | 'dueAt' | 'policyVersion'>,
): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO tasks (id, system_id, kind, title, workflow_id, requester_id, rule, due_at, policy_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
    [task.id, task.systemId, task.kind, task.title, task.workflowId, task.requesterId, task.rule, task.dueAt, task.policyVersion],
  );
  return result.rowCount === 1;
}

/** Adds assignees; returns the ids that were not assignees before. */
export async function addAssignees(db: Queryable, taskId: string, principalIds: readonly string[], level: number): Promise<string[]> {
  const { rows } = await db.query<{ principal_id: string }>(
    `INSERT INTO task_assignees (task_id, principal_id, added_at_level)
     SELECT $1, unnest($2::text[]), $3 ON CONFLICT DO NOTHING RETURNING principal_id`,
    [taskId, principalIds, level],
  );
  return rows.map((row) => row.principal_id);
}

export async function getTask(db: Queryable, id: string): Promise<TaskRecord | undefined> {
  const { rows } = await db.query(`SELECT ${taskColumns} FROM tasks t WHERE t.id = $1`, [id]);
  return rows[0] && toTask(rows[0]);
}

export interface TaskFilter {
  assigneeId?: string;
  systemId?: string;
  status?: TaskStatus;
  limit: number;
}

export async function listTasks(db: Queryable, filter: TaskFilter): Promise<TaskRecord[]> {
  const { rows } = await db.query(
    `SELECT ${taskColumns} FROM tasks t
     WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM task_assignees a WHERE a.task_id = t.id AND a.principal_id = $1))
       AND ($2::uuid IS NULL OR t.system_id = $2)
       AND ($3::text IS NULL OR t.status = $3)
     ORDER BY t.due_at LIMIT $4`,
    [filter.assigneeId ?? null, filter.systemId ?? null, filter.status ?? null, filter.limit],
  );
  return rows.map(toTask);
}

export async function insertDecision(db: Queryable, taskId: string, decision: Omit<DecisionRecord, 'decidedAt'>): Promise<boolean> {
  const result = await db.query(
    `INSERT INTO decisions (task_id, update_id, actor_id, choice, comment, submission) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING`,
    [taskId, decision.updateId, decision.actorId, decision.choice, decision.comment, decision.submission ?? null],
  );
  return result.rowCount === 1;
}

export async function decisionsOf(db: Queryable, taskId: string): Promise<DecisionRecord[]> {
  const { rows } = await db.query('SELECT * FROM decisions WHERE task_id = $1 ORDER BY decided_at', [taskId]);
  return rows.map((row) => ({
    updateId: row.update_id,
    actorId: row.actor_id,
    choice: row.choice,
    comment: row.comment,
    submission: row.submission,
    decidedAt: row.decided_at.toISOString(),
  }));
}

export async function updateTaskProgress(
  db: Queryable,
  taskId: string,
  progress: { dueAt?: string; escalationLevel?: number; remindersSent?: number },
) {
  await db.query(
    `UPDATE tasks SET due_at = COALESCE($2, due_at), escalation_level = COALESCE($3, escalation_level),
       reminders_sent = COALESCE($4, reminders_sent) WHERE id = $1`,
    [taskId, progress.dueAt ?? null, progress.escalationLevel ?? null, progress.remindersSent ?? null],
  );
}

/** Closes an open task; returns false when it was already closed (a retried close). */
export async function closeTask(db: Queryable, taskId: string, status: Exclude<TaskStatus, 'open'>, outcome: string | null) {
  const result = await db.query(
    `UPDATE tasks SET status = $2, outcome = $3, closed_at = now() WHERE id = $1 AND status = 'open'`,
    [taskId, status, outcome],
  );
  return result.rowCount === 1;
}
