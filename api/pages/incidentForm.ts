import { randomUUID } from 'node:crypto';
import { Router, type Request } from 'express';
import type { AiSystem } from '../../db/systems';
import { incidentReportSchema, incidentSeverities, seriousIncidentLimbs } from '../../domain/incident';
import type { ApiDeps } from '../deps';
import type { RateLimits } from '../rateLimits';
import { AppError } from '../errors';
import { html, notice, type SafeHtml } from '../html';
import { reportableSystem, reportIncident } from '../commands/reportIncident';
import { parseId } from '../validate';
import { csrfField, requireSignIn, sendPage, verifyCsrf } from './session';

type FieldErrors = Record<string, string[]>;
type ReportedSystem = { system: AiSystem; viewer: boolean };
type Draft = Record<string, string | string[] | undefined>;

const limbLabels: Record<(typeof seriousIncidentLimbs)[number], string> = {
  death_or_serious_harm_to_health: 'a person died or their health was seriously harmed',
  critical_infrastructure_disruption: 'serious and irreversible disruption of critical infrastructure',
  fundamental_rights_infringement: 'an infringement of obligations protecting fundamental rights',
  property_or_environment_harm: 'serious harm to property or the environment',
};
const checked = (draft: Draft, name: string, value: string) => ([draft[name]].flat().includes(value) ? html` checked` : html``);
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

function fieldError(errors: FieldErrors, name: string): SafeHtml {
  const messages = errors[name];
  return messages ? html`<p class="field-error" id="${name}-error">${messages.join('; ')}</p>` : html``;
}
const describedBy = (errors: FieldErrors, name: string) => (errors[name] ? html` aria-invalid="true" aria-describedby="${name}-error"` : html``);

/** A datetime-local value has no offset: the form asks for UTC and says so. */
const minutesNowUtc = () => new Date().toISOString().slice(0, 16);
const asUtc = (value: string) => (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(value) ? `${value}:00Z` : value);

/** The system as the reporter may know it: by name when they may see it, by its id otherwise. */
const systemLabel = ({ system, viewer }: ReportedSystem): SafeHtml =>
  viewer ? html`<strong>${system.name}</strong>` : html`the AI system <code>${system.id}</code>`;

function incidentForm(req: Request, reported: ReportedSystem, draft: Draft, errors: FieldErrors): SafeHtml {
  const { system } = reported;
  return html`<p>Reporting an incident of ${systemLabel(reported)}. Its owner is asked to acknowledge, contain and resolve it within the deadlines of its severity.</p>
<form method="post" action="/systems/${system.id}/incidents/new" novalidate>
${csrfField(req)}<input type="hidden" name="nonce" value="${one(draft.nonce) ?? randomUUID()}">
<fieldset${describedBy(errors, 'severity')}><legend>Severity</legend>
${incidentSeverities.map((severity) => html`<label><input type="radio" name="severity" value="${severity}"${one(draft.severity) === severity ? html` checked` : ''}> ${severity}</label><br>`)}
${fieldError(errors, 'severity')}</fieldset>
<p><label for="description">What happened</label><br><textarea id="description" name="description" rows="5"${describedBy(errors, 'description')}>${one(draft.description) ?? ''}</textarea>${fieldError(errors, 'description')}</p>
<p><label for="occurredAt">When it happened</label> <small>(UTC)</small><br>
<input type="datetime-local" id="occurredAt" name="occurredAt" value="${one(draft.occurredAt) ?? minutesNowUtc()}"${describedBy(errors, 'occurredAt')}>${fieldError(errors, 'occurredAt')}</p>
<p><label for="becameAwareAt">When you became aware of it</label> <small>(UTC; the reporting clock runs from here, now when left empty)</small><br>
<input type="datetime-local" id="becameAwareAt" name="becameAwareAt" value="${one(draft.becameAwareAt) ?? ''}"${describedBy(errors, 'becameAwareAt')}>${fieldError(errors, 'becameAwareAt')}</p>
<p><label><input type="checkbox" name="serious" value="true"${checked(draft, 'serious', 'true')}> Serious incident</label>
<small>(EU AI Act Art. 73: it is reported to the market surveillance authority)</small></p>
<fieldset${describedBy(errors, 'seriousness')}><legend>If serious: what makes it so (Art. 3(49))</legend>
${seriousIncidentLimbs.map((limb) => html`<label><input type="checkbox" name="seriousLimbs" value="${limb}"${checked(draft, 'seriousLimbs', limb)}> ${limbLabels[limb]}</label><br>`)}
<label><input type="checkbox" name="death" value="true"${checked(draft, 'death', 'true')}> a person died (report within 10 days)</label><br>
<label><input type="checkbox" name="widespreadInfringement" value="true"${checked(draft, 'widespreadInfringement', 'true')}> the infringement is widespread (report within 2 days, as for critical infrastructure)</label>
<p><label for="seriousRationale">Why it is serious</label><br><textarea id="seriousRationale" name="seriousRationale" rows="3">${one(draft.seriousRationale) ?? ''}</textarea></p>
${fieldError(errors, 'seriousness')}</fieldset>
<p><button type="submit">Report the incident</button></p>
</form>`;
}

/** `/systems/:id/incidents/new`: anyone signed in reports an incident, as through the API. */
export function incidentPages(deps: ApiDeps, limits: RateLimits): Router {
  const router = Router();
  const title = 'Report an incident';

  async function systemFor(req: Request): Promise<ReportedSystem | undefined> {
    return reportableSystem(deps, req.webSession!.principal, parseId(req)).catch((error: unknown) => {
      if (error instanceof AppError && error.status === 404) return undefined;
      throw error;
    });
  }

  router.get('/systems/:id/incidents/new', requireSignIn, async (req, res) => {
    const system = await systemFor(req);
    if (!system) return sendPage(req, res, 404, title, notice('This AI system does not exist.', true));
    sendPage(req, res, 200, title, incidentForm(req, system, {}, {}));
  });

  router.post('/systems/:id/incidents/new', requireSignIn, verifyCsrf, async (req, res) => {
    const system = await systemFor(req);
    if (!system) return sendPage(req, res, 404, title, notice('This AI system does not exist.', true));
    const draft = (req.body ?? {}) as Draft;
    const serious = one(draft.serious) === 'true';
    const becameAwareAt = one(draft.becameAwareAt);
    const parsed = incidentReportSchema.safeParse({
      severity: one(draft.severity),
      description: one(draft.description)?.trim() ?? '',
      occurredAt: asUtc(one(draft.occurredAt) ?? ''),
      ...(becameAwareAt && { becameAwareAt: asUtc(becameAwareAt) }),
      serious,
      ...(serious && {
        seriousness: {
          limbs: [draft.seriousLimbs ?? []].flat(),
          death: one(draft.death) === 'true',
          widespreadInfringement: one(draft.widespreadInfringement) === 'true',
          rationale: one(draft.seriousRationale)?.trim() ?? '',
        },
      }),
    });
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) (errors[String(issue.path[0] ?? 'description')] ??= []).push(issue.message);
      return sendPage(
        req,
        res,
        400,
        title,
        html`${notice('Some answers need another look; see the messages next to the fields.', true)}${incidentForm(req, system, draft, errors)}`,
      );
    }
    try {
      // The form's nonce makes a double submit report one incident, like an API client's Idempotency-Key.
      const { incidentId } = await reportIncident(
        deps,
        limits,
        req.webSession!.principal,
        system.system,
        parsed.data,
        `web-form:${one(draft.nonce) ?? randomUUID()}`,
      );
      const back = system.viewer ? html`<p><a href="/systems/${system.system.id}">Back to ${system.system.name}</a></p>` : html``;
      sendPage(req, res, 200, title, html`${notice(`Incident reported. Its reference is ${incidentId}.`)}${back}`);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      sendPage(req, res, error.status, title, html`${notice(error.message, true)}${incidentForm(req, system, draft, {})}`);
    }
  });

  return router;
}
