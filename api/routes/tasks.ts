import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { auditTrail } from '../../db/audit';
import { decisionsOf, getTask, listTasks } from '../../db/tasks';
import { hasAnyRole } from '../../domain/principal';
import { allTaskChoices, taskStatuses } from '../../domain/task';
import { canSeeTask } from '../access';
import { oversightRoles } from '../auth';
import { decideTask } from '../decisions';
import type { ApiDeps } from '../deps';
import { forbidden, notFound } from '../errors';
import { idempotencyKey, parseBody, parseId, parseQuery, uuidParam } from '../validate';

const taskListQuery = z.strictObject({
  mine: z.enum(['true', 'false']).optional(),
  status: z.enum(taskStatuses).optional(),
  systemId: uuidParam.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const decisionBody = z.strictObject({
  decision: z.enum(allTaskChoices),
  comment: z.string().trim().max(4000).optional(),
  /** The kind's submission, e.g. the revised intake of an intake_revision task. */
  submission: z.unknown().optional(),
});

export function taskRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const query = parseQuery(taskListQuery, req);
    const principal = req.principal!;
    // Only oversight roles see other people's tasks.
    const mine = query.mine === 'true' || !hasAnyRole(principal, ...oversightRoles);
    const tasks = await listTasks(deps.pool, { ...query, assigneeId: mine ? principal.id : undefined });
    res.json({ tasks });
  });

  router.get('/:id', async (req, res) => {
    const id = parseId(req);
    const task = id && (await getTask(deps.pool, id));
    if (!task) throw notFound('the task');
    if (!canSeeTask(req.principal!, task)) throw forbidden('you may not see this task');
    const [decisions, history] = await Promise.all([decisionsOf(deps.pool, task.id), auditTrail(deps.pool, { taskId: task.id })]);
    res.json({ task, decisions, history });
  });

  router.post('/:id/decision', async (req, res) => {
    const id = parseId(req);
    const key = idempotencyKey(req);
    const body = parseBody(decisionBody, req);
    const task = id && (await getTask(deps.pool, id));
    if (!task) throw notFound('the task');
    const actor = req.principal!;
    if (!canSeeTask(actor, task)) throw forbidden('you may not decide this task');
    const result = await decideTask(deps, {
      taskId: task.id,
      actor,
      choice: body.decision,
      comment: body.comment,
      submission: body.submission,
      updateId: `api:${actor.id}:${key ?? randomUUID()}`,
    });
    res.json(result);
  });

  return router;
}
