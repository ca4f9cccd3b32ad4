import express, { Router, type Response } from 'express';
import { actionGrantFor, markTokenUsed, type ActionGrant } from '../../db/outbox';
import { principalsByIds } from '../../db/principals';
import { getTask, type TaskRecord } from '../../db/tasks';
import type { ApiDeps } from '../deps';
import { layout, notice, pageSecurityHeaders, type SafeHtml } from '../html';
import { decideFromForm, decisionForm } from '../pages/decisionForm';

function sendPage(res: Response, status: number, title: string, body: SafeHtml) {
  res.status(status).set(pageSecurityHeaders).type('html').send(layout(title, body));
}

type GrantCheck = { grant: ActionGrant; task: TaskRecord } | { status: number; title: string; message: string };

/** `closed` lets a closed task through: a decision retried after a 503 may have closed it, and is answered from the record. */
async function checkGrant(deps: ApiDeps, token: string, { closed = false } = {}): Promise<GrantCheck> {
  const grant = await actionGrantFor(deps.pool, token);
  if (!grant) return { status: 404, title: 'Link not valid', message: 'This link is not valid. Use the most recent email about the task.' };
  if (grant.usedAt) return { status: 410, title: 'Link already used', message: 'This link has already been used to decide.' };
  if (grant.supersededAt) {
    return {
      status: 410,
      title: 'Link replaced',
      message: 'This email was sent again with a new link, which replaced this one. Use the link of the newer copy, or sign in and open My tasks.',
    };
  }
  if (new Date(grant.expiresAt).getTime() < Date.now()) return { status: 410, title: 'Link expired', message: 'This link has expired.' };
  const task = await getTask(deps.pool, grant.taskId);
  if (!task) return { status: 404, title: 'Link not valid', message: 'The task of this link no longer exists.' };
  if (task.status !== 'open' && !closed)
    return { status: 409, title: 'Task closed', message: `This task is closed (${task.status}${task.outcome ? `: ${task.outcome}` : ''}).` };
  return { grant, task };
}

/** Email action links (DESIGN.md §7): GET and HEAD only show; a POST with an explicit choice decides. */
export function actionRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '80kb' }));

  router.get('/:token', async (req, res) => {
    const checked = await checkGrant(deps, req.params.token);
    if ('status' in checked) return sendPage(res, checked.status, checked.title, notice(checked.message, true));
    sendPage(res, 200, checked.task.title, await decisionForm(deps, checked.task));
  });

  router.post('/:token', async (req, res) => {
    const checked = await checkGrant(deps, req.params.token, { closed: true });
    if ('status' in checked) return sendPage(res, checked.status, checked.title, notice(checked.message, true));
    const { grant, task } = checked;
    const [actor] = await principalsByIds(deps.pool, [grant.principalId]);
    const outcome = await decideFromForm(deps, task, actor, req.body, `email:${grant.tokenHash}`);
    if (outcome.decided) await markTokenUsed(deps.pool, grant.tokenHash);
    sendPage(res, outcome.status, outcome.title, outcome.body);
  });

  return router;
}
