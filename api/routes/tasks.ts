import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { auditTrail } from '../../db/audit';
import { principalsByIds } from '../../db/principals';
import { decisionsOf, getTask, listTasks, type TaskRecord } from '../../db/tasks';
import { storableText, text } from '../../domain/fields';
import { hasAnyRole } from '../../domain/principal';
import { allTaskChoices, taskStatuses } from '../../domain/task';
import { canSeeTask } from '../access';
import { oversightRoles, requireRole } from '../auth';
import { decideTask, delegateTask, reassignTask, withdrawTask } from '../decisions';
import type { ApiDeps } from '../deps';
import { AppError, forbidden, notFound } from '../errors';
import { idempotencyKey, parseBody, parseId, parseQuery, uuidParam } from '../validate';

export const taskListQuery = z.strictObject({
  mine: z.enum(['true', 'false']).optional(),
  status: z.enum(taskStatuses).optional(),
  overdue: z.enum(['true', 'false']).optional(),
  escalationLevel: z.coerce.number().int().min(0).max(10).optional(),
  systemId: uuidParam.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const principalId = text(200);
const reason = text(2000);

export const decisionBody = z.strictObject({
  decision: z.enum(allTaskChoices),
  /** The subjectHash of the task as the decider saw it (GET /api/v1/tasks/:id). */
  snapshotHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64-character subjectHash of the task you reviewed'),
  comment: storableText(4000).optional(),
  /** The kind's submission, e.g. the revised intake of an intake_revision task. */
  submission: z.unknown().optional(),
});
export const delegateBody = z.strictObject({ to: principalId, reason: reason.optional() });
export const reassignBody = z.strictObject({ from: principalId, to: principalId, reason });
export const withdrawBody = z.strictObject({ reason: reason.optional() });

/** The update id of a command: the client's Idempotency-Key scoped to the caller and the command. */
const updateIdFor = (req: Request, command: string) => `api:${command}:${req.principal!.id}:${idempotencyKey(req) ?? randomUUID()}`;

export function taskRoutes(deps: ApiDeps): Router {
  const router = Router();

  async function visibleTask(req: Request): Promise<TaskRecord> {
    const id = parseId(req);
    const task = id && (await getTask(deps.pool, id));
    if (!task) throw notFound('the task');
    if (!(await canSeeTask(deps.pool, req.principal!, task))) throw forbidden('you may not see or act on this task');
    return task;
  }

  async function existingPrincipal(id: string, field: string) {
    const [principal] = await principalsByIds(deps.pool, [id]);
    if (!principal) throw new AppError(400, 'invalid_input', 'the request body is invalid', { [field]: [`no principal '${id}'`] });
    return principal;
  }

  router.get('/', async (req, res) => {
    const query = parseQuery(taskListQuery, req);
    const principal = req.principal!;
    // Only oversight roles see other people's tasks.
    const mine = query.mine === 'true' || !hasAnyRole(principal, ...oversightRoles);
    const tasks = await listTasks(deps.pool, { ...query, overdue: query.overdue === 'true', assigneeId: mine ? principal.id : undefined });
    res.json({ tasks });
  });

  router.get('/:id', async (req, res) => {
    const task = await visibleTask(req);
    const [decisions, history] = await Promise.all([decisionsOf(deps.pool, task.id), auditTrail(deps.pool, { taskId: task.id })]);
    res.json({ task, decisions, history });
  });

  router.post('/:id/decision', async (req, res) => {
    const body = parseBody(decisionBody, req);
    const task = await visibleTask(req);
    const result = await decideTask(deps, {
      task,
      actor: req.principal!,
      choice: body.decision,
      snapshotHash: body.snapshotHash,
      comment: body.comment,
      submission: body.submission,
      updateId: updateIdFor(req, 'decision'),
    });
    res.json(result);
  });

  router.post('/:id/delegate', async (req, res) => {
    const body = parseBody(delegateBody, req);
    const task = await visibleTask(req);
    const target = await existingPrincipal(body.to, 'to');
    res.json(
      await delegateTask(deps, task, { actorId: req.principal!.id, toId: body.to, reason: body.reason, toRoles: target.roles }, updateIdFor(req, 'delegate')),
    );
  });

  router.post('/:id/reassign', requireRole('governance_lead'), async (req, res) => {
    const body = parseBody(reassignBody, req);
    const task = await visibleTask(req);
    const target = await existingPrincipal(body.to, 'to');
    res.json(
      await reassignTask(
        deps,
        task,
        { actorId: req.principal!.id, fromId: body.from, toId: body.to, reason: body.reason, toRoles: target.roles },
        updateIdFor(req, 'reassign'),
      ),
    );
  });

  router.post('/:id/withdraw', async (req, res) => {
    const body = parseBody(withdrawBody, req);
    const task = await visibleTask(req);
    if (task.requesterId !== req.principal!.id) throw forbidden('only the requester can withdraw this request');
    res.json(await withdrawTask(deps, task, { actorId: req.principal!.id, reason: body.reason }, updateIdFor(req, 'withdraw')));
  });

  return router;
}
