import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { actionGrantFor, markTokenUsed, type ActionGrant } from '../../db/outbox';
import { principalsByIds } from '../../db/principals';
import { getSystem } from '../../db/systems';
import { getTask, type TaskRecord } from '../../db/tasks';
import { taskKinds } from '../../domain/task';
import { decideTask } from '../decisions';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { html, layout, type SafeHtml } from '../html';

const choiceLabels: Record<string, string> = {
  accept: 'Accept',
  reject: 'Reject',
  request_changes: 'Request changes',
  submit: 'Submit the revised intake',
};

const actionForm = z.object({
  choice: z.string().min(1, 'choose what you decide'),
  snapshotHash: z.string().default(''),
  comment: z.string().trim().max(4000).optional(),
  submission: z.string().max(64_000).optional(),
});

function sendPage(res: Response, status: number, title: string, body: SafeHtml) {
  // The token is in the URL: keep the page out of caches and out of Referer headers.
  res.status(status).set({ 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }).type('html').send(layout(title, body));
}

const notice = (text: string, isError = false) => html`<p class="notice${isError ? ' error' : ''}" role="${isError ? 'alert' : 'status'}">${text}</p>`;

type GrantCheck = { grant: ActionGrant; task: TaskRecord } | { status: number; title: string; message: string };

async function checkGrant(deps: ApiDeps, token: string): Promise<GrantCheck> {
  const grant = await actionGrantFor(deps.pool, token);
  if (!grant) return { status: 404, title: 'Link not valid', message: 'This link is not valid. Use the most recent email about the task.' };
  if (grant.usedAt) return { status: 410, title: 'Link already used', message: 'This link has already been used to decide.' };
  if (new Date(grant.expiresAt).getTime() < Date.now()) return { status: 410, title: 'Link expired', message: 'This link has expired.' };
  const task = await getTask(deps.pool, grant.taskId);
  if (!task) return { status: 404, title: 'Link not valid', message: 'The task of this link no longer exists.' };
  if (task.status !== 'open') return { status: 409, title: 'Task closed', message: `This task is closed (${task.status}${task.outcome ? `: ${task.outcome}` : ''}).` };
  return { grant, task };
}

/** Email action links (DESIGN.md §7): GET and HEAD only show; a POST with an explicit choice decides. */
export function actionRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: '80kb' }));

  router.get('/:token', async (req, res) => {
    const checked = await checkGrant(deps, req.params.token);
    if ('status' in checked) return sendPage(res, checked.status, checked.title, notice(checked.message, true));
    sendPage(res, 200, checked.task.title, await taskForm(deps, checked.task));
  });

  router.post('/:token', async (req, res) => {
    const checked = await checkGrant(deps, req.params.token);
    if ('status' in checked) return sendPage(res, checked.status, checked.title, notice(checked.message, true));
    const { grant, task } = checked;
    const form = actionForm.safeParse(req.body ?? {});
    const choices: readonly string[] = taskKinds[task.kind].choices;
    if (!form.success || !choices.includes(form.data.choice)) {
      return sendPage(res, 400, task.title, html`${notice('Choose one of the options before submitting.', true)}${await taskForm(deps, task)}`);
    }
    let submission: unknown;
    if (taskKinds[task.kind].submissionSchema) {
      try {
        submission = JSON.parse(form.data.submission ?? '');
      } catch {
        return sendPage(res, 400, task.title, html`${notice('The revised intake is not valid JSON.', true)}${await taskForm(deps, task, form.data.submission)}`);
      }
    }
    const [actor] = await principalsByIds(deps.pool, [grant.principalId]);
    try {
      const result = await decideTask(deps, {
        task,
        actor,
        choice: form.data.choice,
        snapshotHash: form.data.snapshotHash,
        comment: form.data.comment || undefined,
        submission,
        updateId: `email:${grant.tokenHash}`,
      });
      await markTokenUsed(deps.pool, grant.tokenHash);
      const closing = result.taskStatus === 'open' ? 'The task stays open until the other approvers decide.' : 'The task is now closed.';
      sendPage(res, 200, 'Decision recorded', notice(`Thank you, ${actor.name}. Your decision "${choiceLabels[result.choice] ?? result.choice}" is recorded. ${closing}`));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      sendPage(res, error.status, 'Decision not recorded', notice(error.message, true));
    }
  });

  return router;
}

async function taskForm(deps: ApiDeps, task: TaskRecord, draftSubmission?: string): Promise<SafeHtml> {
  const system = await getSystem(deps.pool, task.systemId);
  const definition = taskKinds[task.kind];
  const intake = system?.intake;
  return html`
<dl>
  <dt>AI system</dt><dd>${system?.name}</dd>
  <dt>Business unit</dt><dd>${system?.businessUnit}</dd>
  <dt>Purpose</dt><dd>${intake?.purpose}</dd>
  <dt>Risk tier</dt><dd>${system?.riskTier ?? 'not set'}${system?.triageReason ? ` (${system.triageReason})` : ''}</dd>
  <dt>Use</dt><dd>${intake?.useCategory}, ${intake?.decisionRole}, human oversight ${intake?.humanOversight}</dd>
  <dt>Impact areas</dt><dd>${intake?.impactAreas.join(', ') || 'none'}</dd>
  <dt>Data</dt><dd>${intake?.dataCategories.join(', ') || 'no personal data'}</dd>
  <dt>Due</dt><dd>${new Date(task.dueAt).toUTCString()}</dd>
</dl>
<form method="post">
  <input type="hidden" name="snapshotHash" value="${task.subjectHash}">
  <fieldset>
    <legend>Your decision</legend>
    ${definition.choices.map(
      (choice) => html`<p><label><input type="radio" name="choice" value="${choice}" required> ${choiceLabels[choice] ?? choice}</label></p>`,
    )}
  </fieldset>
  ${
    definition.submissionSchema
      ? html`<p><label for="submission">Revised intake (JSON)</label><br><textarea id="submission" name="submission" rows="16">${draftSubmission ?? JSON.stringify(intake, null, 2)}</textarea></p>`
      : ''
  }
  <p><label for="comment">Comment (optional)</label><br><textarea id="comment" name="comment" rows="3" maxlength="4000"></textarea></p>
  <p><button type="submit">Record my decision</button></p>
</form>`;
}
