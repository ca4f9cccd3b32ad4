import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import { auditTrail } from '../../db/audit';
import { processesOf } from '../../db/processes';
import { getSystem, listSystems } from '../../db/systems';
import { listTasks } from '../../db/tasks';
import { hasAnyRole } from '../../domain/principal';
import { dataCategories, decisionRoles, humanOversightModes, impactAreas, intakeRequestSchema, provenances, useCategories } from '../../domain/system';
import { describeAuditEvent } from '../../domain/timeline';
import { canSeeSystem } from '../access';
import { oversightRoles } from '../auth';
import { temporalUiLink, type ApiDeps } from '../deps';
import { AppError } from '../errors';
import { html, notice, type SafeHtml } from '../html';
import { fileIntake } from '../intake';
import { parseId } from '../validate';
import { csrfField, requireSignIn, sendPage, verifyCsrf } from './session';

type FieldErrors = Record<string, string[]>;
type Draft = Record<string, string | string[] | undefined>;

const label = (value: string) => value.replace(/_/g, ' ');
const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function fieldError(errors: FieldErrors, name: string): SafeHtml {
  const messages = errors[name];
  return messages ? html`<p class="field-error" id="${name}-error">${messages.join('; ')}</p>` : html``;
}
const describedBy = (errors: FieldErrors, name: string) => (errors[name] ? html` aria-invalid="true" aria-describedby="${name}-error"` : html``);

function textField(name: string, text: string, draft: Draft, errors: FieldErrors, hint = ''): SafeHtml {
  return html`<p><label for="${name}">${text}</label>${hint ? html` <small>${hint}</small>` : ''}<br>
<input type="text" id="${name}" name="${name}" value="${asList(draft[name])[0] ?? ''}"${describedBy(errors, name)}>${fieldError(errors, name)}</p>`;
}

function choiceField(name: string, text: string, options: readonly string[], draft: Draft, errors: FieldErrors, multiple = false): SafeHtml {
  const chosen = asList(draft[name]);
  const type = multiple ? 'checkbox' : 'radio';
  return html`<fieldset${describedBy(errors, name)}><legend>${text}</legend>
${options.map((option) => html`<label><input type="${type}" name="${name}" value="${option}"${chosen.includes(option) ? html` checked` : ''}> ${label(option)}</label><br>`)}
${fieldError(errors, name)}</fieldset>`;
}

/** The intake form: the API's schema and its field messages, next to the fields, without JavaScript. */
function intakeForm(req: Request, draft: Draft, errors: FieldErrors): SafeHtml {
  return html`<form method="post" action="/systems/new" novalidate>
${csrfField(req)}<input type="hidden" name="nonce" value="${asList(draft.nonce)[0] ?? randomUUID()}">
${textField('name', 'Name of the AI system', draft, errors)}
<p><label for="purpose">Purpose</label><br><textarea id="purpose" name="purpose" rows="3"${describedBy(errors, 'purpose')}>${asList(draft.purpose)[0] ?? ''}</textarea>${fieldError(errors, 'purpose')}</p>
${textField('businessUnit', 'Business unit', draft, errors)}
${choiceField('provenance', 'Where it comes from', provenances, draft, errors)}
${textField('vendor', 'Vendor', draft, errors, '(if bought or embedded)')}
${choiceField('useCategory', 'What it is used for', useCategories, draft, errors)}
${choiceField('impactAreas', 'Areas it affects', impactAreas, draft, errors, true)}
${choiceField('dataCategories', 'Data it uses', dataCategories, draft, errors, true)}
${choiceField('decisionRole', 'Role in decisions', decisionRoles, draft, errors)}
${choiceField('humanOversight', 'Human oversight', humanOversightModes, draft, errors)}
<p><label for="affectedParties">Affected parties</label> <small>(one per line)</small><br>
<textarea id="affectedParties" name="affectedParties" rows="3"${describedBy(errors, 'affectedParties')}>${asList(draft.affectedParties)[0] ?? ''}</textarea>${fieldError(errors, 'affectedParties')}</p>
<p><button type="submit">Register the AI system</button></p>
</form>`;
}

function intakeFromForm(draft: Draft) {
  const single = (name: string) => {
    const value = asList(draft[name])[0]?.trim();
    return value === '' ? undefined : value;
  };
  return {
    name: single('name') ?? '',
    purpose: single('purpose') ?? '',
    businessUnit: single('businessUnit') ?? '',
    provenance: single('provenance'),
    vendor: single('vendor'),
    useCategory: single('useCategory'),
    impactAreas: asList(draft.impactAreas),
    dataCategories: asList(draft.dataCategories),
    decisionRole: single('decisionRole'),
    humanOversight: single('humanOversight'),
    affectedParties: (single('affectedParties') ?? '')
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean),
  };
}

/** Systems for everyone signed in: the list they may see, one system's page and timeline, and the intake form. */
export function systemPages(deps: ApiDeps): Router {
  const router = Router();
  router.use('/systems', requireSignIn);

  router.get('/systems', async (req, res) => {
    const principal = req.webSession!.principal;
    const systems = await listSystems(deps.pool, { ownerId: hasAnyRole(principal, ...oversightRoles) ? undefined : principal.id, limit: 200 });
    const title = hasAnyRole(principal, ...oversightRoles) ? 'AI systems' : 'My AI systems';
    sendPage(
      req,
      res,
      200,
      title,
      systems.length === 0
        ? notice('No AI systems yet.')
        : html`<div class="table-wrap"><table><caption>${title}</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Business unit</th><th scope="col">State</th><th scope="col">Risk tier</th></tr></thead>
<tbody>${systems.map((system) => html`<tr><td><a href="/systems/${system.id}">${system.name}</a></td><td>${system.businessUnit}</td><td>${label(system.state)}</td><td>${system.riskTier ?? 'not set'}</td></tr>`)}</tbody>
</table></div>`,
    );
  });

  router.get('/systems/new', (req, res) => {
    if (!hasAnyRole(req.webSession!.principal, 'system_owner'))
      return sendPage(req, res, 403, 'Not allowed', notice('Only system owners register AI systems.', true));
    sendPage(req, res, 200, 'Register an AI system', intakeForm(req, {}, {}));
  });

  router.post('/systems/new', verifyCsrf, async (req, res) => {
    const owner = req.webSession!.principal;
    if (!hasAnyRole(owner, 'system_owner')) return sendPage(req, res, 403, 'Not allowed', notice('Only system owners register AI systems.', true));
    const draft = (req.body ?? {}) as Draft;
    const parsed = intakeRequestSchema.safeParse(intakeFromForm(draft));
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) (errors[String(issue.path[0] ?? 'name')] ??= []).push(issue.message);
      return sendPage(
        req,
        res,
        400,
        'Register an AI system',
        html`${notice('Some answers need another look; see the messages next to the fields.', true)}${intakeForm(req, draft, errors)}`,
      );
    }
    try {
      // The form's nonce makes a double submit file one system, like an API client's Idempotency-Key.
      const { systemId } = await fileIntake(deps, owner, parsed.data, `web-form:${asList(draft.nonce)[0] ?? randomUUID()}`);
      res.redirect(303, `/systems/${systemId}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      sendPage(req, res, error.status, 'Register an AI system', html`${notice(error.message, true)}${intakeForm(req, draft, {})}`);
    }
  });

  router.get('/systems/:id', async (req, res) => {
    const id = parseId(req);
    const system = id && (await getSystem(deps.pool, id));
    if (!system || !(await canSeeSystem(deps.pool, req.webSession!.principal, system))) {
      // Just filed: the intake workflow registers the system a moment after the form answers.
      const status = system ? 403 : 404;
      return sendPage(
        req,
        res,
        status,
        'AI system',
        notice(
          system ? 'You may not see this AI system.' : 'This AI system is not registered yet, or does not exist. If you just filed it, reload in a moment.',
          true,
        ),
      );
    }
    const [open, history, processes] = await Promise.all([
      listTasks(deps.pool, { systemId: system.id, status: 'open', limit: 200 }),
      auditTrail(deps.pool, { systemId: system.id }),
      processesOf(deps.pool, system),
    ]);
    sendPage(
      req,
      res,
      200,
      system.name,
      html`
<dl>
  <dt>State</dt><dd>${label(system.state)}</dd>
  <dt>Risk tier</dt><dd>${system.riskTier ?? 'not set'}${system.triageReason ? ` (${system.triageReason})` : ''}</dd>
  <dt>Owner</dt><dd>${system.ownerId}</dd>
  <dt>Business unit</dt><dd>${system.businessUnit}</dd>
  <dt>Purpose</dt><dd>${system.intake.purpose}</dd>
  <dt>Next review</dt><dd>${system.nextReviewDue ? new Date(system.nextReviewDue).toUTCString() : 'not scheduled'}</dd>
  <dt>Processes</dt><dd><ul>${processes.map((run) => html`<li><a href="${temporalUiLink(deps, run.workflowId)}">${label(run.process)}, started ${new Date(run.startedAt).toUTCString()}</a> (Temporal Web UI)</li>`)}</ul></dd>
</dl>
${['rejected', 'withdrawn', 'retired'].includes(system.state) ? '' : html`<p><a href="/systems/${system.id}/incidents/new">Report an incident</a></p>`}
<h2>Open tasks</h2>
${open.length === 0 ? notice('No open tasks.') : html`<ul>${open.map((task) => html`<li><a href="/tasks/${task.id}">${task.title}</a>, due ${new Date(task.dueAt).toUTCString()}, escalation level ${task.escalationLevel}, held by ${task.assignees.map((a) => a.principalId).join(', ')}</li>`)}</ul>`}
<h2>Timeline</h2>
<ol class="timeline">${history.map((event) => html`<li><time datetime="${event.occurredAt}">${new Date(event.occurredAt).toUTCString()}</time>: ${describeAuditEvent(event)}</li>`)}</ol>`,
    );
  });

  return router;
}
