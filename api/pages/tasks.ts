import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { listTasks, getTask, type TaskRecord } from '../../db/tasks';
import { canSeeTask } from '../access';
import type { ApiDeps } from '../deps';
import { html, notice } from '../html';
import { parseId } from '../validate';
import { decideFromForm, decisionForm } from './decisionForm';
import { csrfField, requireSignIn, sendPage, verifyCsrf } from './session';

const overdueBy = (task: TaskRecord) => {
  const late = Date.now() - new Date(task.dueAt).getTime();
  return late > 0 ? html`<span class="late">${Math.ceil(late / 60_000)} min overdue</span>` : html`due ${new Date(task.dueAt).toUTCString()}`;
};

/** As the API answers: a task one may not see is forbidden, one that does not exist is not found. */
const refuseTask = (req: Request, res: Response, task: TaskRecord | null | undefined | '') =>
  task
    ? sendPage(req, res, 403, 'Not allowed', notice('You may not see this task.', true))
    : sendPage(req, res, 404, 'Task not found', notice('There is no such task.', true));

/** My tasks: the open tasks a person may decide, each decided in the page with the API's rules. */
export function taskPages(deps: ApiDeps): Router {
  const router = Router();
  router.use('/tasks', requireSignIn);

  router.get('/tasks', async (req, res) => {
    const tasks = await listTasks(deps.pool, { assigneeId: req.webSession!.principal.id, status: 'open', limit: 200 });
    sendPage(
      req,
      res,
      200,
      'My tasks',
      tasks.length === 0
        ? notice('Nothing is waiting for you.')
        : html`<div class="table-wrap"><table><caption>Open tasks waiting for your decision</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Due</th><th scope="col">Escalation level</th></tr></thead>
<tbody>${tasks.map((task) => html`<tr><td><a href="/tasks/${task.id}">${task.title}</a></td><td>${overdueBy(task)}</td><td>${task.escalationLevel}</td></tr>`)}</tbody>
</table></div>`,
    );
  });

  router.get('/tasks/:id', async (req, res) => {
    const id = parseId(req);
    const task = id && (await getTask(deps.pool, id));
    if (!task || !(await canSeeTask(deps.pool, req.webSession!.principal, task))) return refuseTask(req, res, task);
    if (task.status !== 'open')
      return sendPage(req, res, 200, task.title, notice(`This task is closed (${task.status}${task.outcome ? `: ${task.outcome}` : ''}).`));
    // A fresh nonce per page view: a double-submitted form is one decision, a new view may decide anew.
    const hidden = html`${csrfField(req)}<input type="hidden" name="nonce" value="${randomUUID()}">`;
    sendPage(req, res, 200, task.title, html`<p><a href="/systems/${task.systemId}">About this AI system</a></p>${await decisionForm(deps, task, hidden)}`);
  });

  router.post('/tasks/:id', verifyCsrf, async (req, res) => {
    const id = parseId(req);
    const task = id && (await getTask(deps.pool, id));
    const actor = req.webSession!.principal;
    if (!task || !(await canSeeTask(deps.pool, actor, task))) return refuseTask(req, res, task);
    const nonce = typeof req.body?.nonce === 'string' && /^[\w-]{8,64}$/.test(req.body.nonce) ? req.body.nonce : randomUUID();
    const hidden = html`${csrfField(req)}<input type="hidden" name="nonce" value="${randomUUID()}">`;
    const outcome = await decideFromForm(deps, task, actor, req.body, `web:${actor.id}:${nonce}`, hidden);
    sendPage(req, res, outcome.status, outcome.title, html`${outcome.body}<p><a href="/tasks">Back to my tasks</a></p>`);
  });

  return router;
}
