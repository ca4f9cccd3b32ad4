import type { Request } from 'express';
import type { Queryable } from '../db/pool';
import { getSystem, type AiSystem } from '../db/systems';
import { decidedOnOrFor, seatedOnOrDecidedOn, type TaskRecord } from '../db/tasks';
import { hasAnyRole, type Principal } from '../domain/principal';
import { oversightRoles } from './auth';
import { forbidden, notFound } from './errors';
import { parseId } from './validate';

/**
 * Per-object authorisation, one rule for systems and tasks: the owner or requester, oversight roles,
 * whoever holds a seat on an open task now (of a task: still holds it), and whoever decided or was
 * decided for (a decider keeps sight of what they decided). A seat moved away gives nothing; one left
 * undecided when its task closed gives sight of that task only, not of its system.
 */
export async function canSeeSystem(db: Queryable, principal: Principal, system: AiSystem): Promise<boolean> {
  if (system.ownerId === principal.id || hasAnyRole(principal, ...oversightRoles)) return true;
  return seatedOnOrDecidedOn(db, principal.id, system.id);
}

export async function canSeeTask(db: Queryable, principal: Principal, task: TaskRecord): Promise<boolean> {
  if (task.requesterId === principal.id || hasAnyRole(principal, ...oversightRoles)) return true;
  // Still seated, the task open or closed while they held the seat: they see how it ended. A seat moved away gives nothing.
  if (task.assignees.some((assignee) => assignee.principalId === principal.id)) return true;
  return decidedOnOrFor(db, principal.id, task.id);
}

/** The AI system the request's `:id` names, if the signed-in principal may see it: 404 or 403 otherwise. */
export async function visibleSystem(db: Queryable, req: Request): Promise<AiSystem> {
  const id = parseId(req);
  const system = id && (await getSystem(db, id));
  if (!system) throw notFound('the AI system');
  if (!(await canSeeSystem(db, req.principal!, system))) throw forbidden('you may not see this AI system');
  return system;
}
