import type { Queryable } from '../db/pool';
import type { AiSystem } from '../db/systems';
import type { TaskRecord } from '../db/tasks';
import { hasAnyRole, type Principal } from '../domain/principal';
import { oversightRoles } from './auth';

/**
 * Per-object authorisation, one rule for systems and tasks: the owner or requester, oversight roles, and
 * whoever holds or ever held a seat on a task (a decider keeps sight of what they decided).
 */
export async function canSeeSystem(db: Queryable, principal: Principal, system: AiSystem): Promise<boolean> {
  if (system.ownerId === principal.id || hasAnyRole(principal, ...oversightRoles)) return true;
  const { rowCount } = await db.query(
    'SELECT 1 FROM tasks t JOIN task_assignees a ON a.task_id = t.id WHERE t.system_id = $1 AND a.principal_id = $2 LIMIT 1',
    [system.id, principal.id],
  );
  return rowCount === 1;
}

export async function canSeeTask(db: Queryable, principal: Principal, task: TaskRecord): Promise<boolean> {
  if (task.requesterId === principal.id || hasAnyRole(principal, ...oversightRoles)) return true;
  if (task.assignees.some((assignee) => assignee.principalId === principal.id)) return true;
  const { rowCount } = await db.query('SELECT 1 FROM task_assignees WHERE task_id = $1 AND principal_id = $2', [task.id, principal.id]);
  return rowCount === 1;
}
