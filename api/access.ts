import type { Queryable } from '../db/pool';
import type { AiSystem } from '../db/systems';
import type { TaskRecord } from '../db/tasks';
import { hasAnyRole, type Principal } from '../domain/principal';
import { oversightRoles } from './auth';

/** Per-object authorisation: who may see a system and its history. */
export async function canSeeSystem(db: Queryable, principal: Principal, system: AiSystem): Promise<boolean> {
  if (system.ownerId === principal.id || hasAnyRole(principal, ...oversightRoles)) return true;
  const { rowCount } = await db.query(
    'SELECT 1 FROM tasks t JOIN task_assignees a ON a.task_id = t.id WHERE t.system_id = $1 AND a.principal_id = $2 LIMIT 1',
    [system.id, principal.id],
  );
  return rowCount === 1;
}

export function canSeeTask(principal: Principal, task: TaskRecord): boolean {
  return (
    task.requesterId === principal.id ||
    task.assignees.some((assignee) => assignee.principalId === principal.id) ||
    hasAnyRole(principal, ...oversightRoles)
  );
}
