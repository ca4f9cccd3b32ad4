import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { incidentReportSchema, seriousnessSchema } from '../domain/incident';
import { oversightRoles } from '../domain/principal';
import { retirementRequestSchema } from '../domain/retirement';
import { intakeRequestSchema } from '../domain/system';
import { html, layout, type SafeHtml } from './html';
import { overdueQuery, summaryQuery, timelineQuery, upcomingReviewsQuery } from './routes/dashboard';
import { evidenceQuery } from './routes/evidence';
import { requestReviewBody, retierBody } from './routes/reviews';
import { delegationBody } from './routes/me';
import { systemListQuery, withdrawIntakeBody } from './routes/systems';
import { decisionBody, delegateBody, reassignBody, taskListQuery, withdrawBody } from './routes/tasks';
import { uuidParam } from './validate';

/**
 * The OpenAPI 3.1 document, generated from the zod schemas the routes parse with: each operation names
 * its schemas here, and z.toJSONSchema turns them into JSON Schema (2020-12, OpenAPI 3.1's dialect) as
 * a client sends them (io: 'input': defaults make a field optional, coercions accept strings).
 */

type Method = 'get' | 'post' | 'put' | 'delete';

interface Operation {
  method: Method;
  /** Express-style path; `:id` becomes `{id}`. */
  path: string;
  tag: string;
  summary: string;
  /** Who may call it; undefined means no sign-in at all. */
  who?: string;
  query?: z.ZodType;
  body?: z.ZodType;
  /** A header the operation reads besides Authorization. */
  idempotencyKey?: boolean;
  responses: Record<number, string>;
  /** What a success answers with, when not JSON. */
  produces?: string;
}

const oversight = oversightRoles.join(', ');
const refused = { 400: 'invalid input, with a message per field', 401: 'no valid API key', 403: 'role, object or segregation of duties', 404: 'not found' };

export const operations: Operation[] = [
  {
    method: 'post',
    path: '/api/v1/systems',
    tag: 'systems',
    summary: 'File an intake: register an AI system',
    who: 'system_owner',
    body: intakeRequestSchema,
    idempotencyKey: true,
    responses: {
      202: 'accepted; the intake workflow started',
      ...refused,
      409: 'Idempotency-Key reused for another request',
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'get',
    path: '/api/v1/systems',
    tag: 'systems',
    summary: 'AI systems you own (oversight roles: all)',
    who: 'anyone signed in',
    query: systemListQuery,
    responses: { 200: 'the systems', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id',
    tag: 'systems',
    summary: 'One AI system: state, tier, its EU AI Act classification, tasks, audit history',
    who: 'owner, task assignees, oversight roles',
    responses: { 200: 'the system', ...refused },
  },
  {
    method: 'put',
    path: '/api/v1/systems/:id/intake',
    tag: 'systems',
    summary: 'Amend the intake while triage is open',
    who: 'the owner',
    body: intakeRequestSchema,
    idempotencyKey: true,
    responses: { 200: 'amended; triage approvals restart', ...refused, 409: 'triage is no longer open' },
  },
  {
    method: 'post',
    path: '/api/v1/systems/:id/withdraw',
    tag: 'systems',
    summary:
      'Withdraw a system not yet in service: in intake, impact assessment or risk treatment; its open task closes as withdrawn, its assessment and sign-off as cancelled',
    who: 'the owner',
    body: withdrawIntakeBody,
    idempotencyKey: true,
    responses: { 200: 'withdrawn', ...refused, 409: 'the system has been in service (it leaves by retirement) or its intake has already ended' },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/timeline',
    tag: 'systems',
    summary: "The system's audit events in order, each with a readable summary",
    who: 'owner, task assignees, oversight roles',
    query: timelineQuery,
    responses: { 200: 'the timeline', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/assessments',
    tag: 'systems',
    summary: 'Every version of the impact assessment (ISO/IEC 42005) with its hash, outcome and impact level',
    who: 'owner, task assignees, oversight roles',
    responses: { 200: 'the assessments', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/evidence',
    tag: 'audit',
    summary: 'Evidence pack of one system (JSON, or a printable page with ?format=html)',
    who: 'owner, task assignees, oversight roles',
    query: evidenceQuery,
    responses: { 200: 'the evidence pack', ...refused },
  },
  {
    method: 'post',
    path: '/api/v1/systems/:id/retirement',
    tag: 'retirement',
    summary:
      'Ask to retire an AI system: approval, then the checklist (data disposal, access revocation, user notice, archive) as parallel tasks, then the final sign-off from the retirement date on',
    who: 'the owner or a governance lead',
    body: retirementRequestSchema,
    idempotencyKey: true,
    responses: {
      202: 'accepted; the retirement workflow started',
      ...refused,
      409: "the system's state allows no retirement (rejected, withdrawn, retiring, retired), a retirement of it is already running, or Idempotency-Key reused for another request",
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/retirement',
    tag: 'retirement',
    summary: "The system's current or last retirement: its status and every round of its checklist with the evidence recorded",
    who: 'owner, task assignees, oversight roles',
    responses: { 200: 'the retirement', ...refused },
  },
  {
    method: 'post',
    path: '/api/v1/systems/:id/incidents',
    tag: 'incidents',
    summary:
      'Report an incident: acknowledgement, containment and resolution by the owner within the SLA of its severity, closure by a governance lead; a serious one starts the regulatory reporting clock',
    who: 'anyone signed in',
    body: incidentReportSchema,
    idempotencyKey: true,
    responses: {
      202: 'accepted; the incident workflow started',
      ...refused,
      409: "the system's state allows no incident (rejected, withdrawn, retired), or Idempotency-Key reused for another report",
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/incidents',
    tag: 'incidents',
    summary: "The system's incidents, latest first, each with its stage, containment, resolution and regulatory report",
    who: 'owner, task assignees, oversight roles',
    responses: { 200: 'the incidents', ...refused },
  },
  {
    method: 'post',
    path: '/api/v1/systems/:id/incidents/:incidentId/seriousness',
    tag: 'incidents',
    summary:
      'Decide, at any stage before closure, that the incident is serious (EU AI Act Art. 3(49)): the report to the authority starts, due by the clock of its kind from awareness; or that a causal link is established (Art. 73(2)), which makes it due at once',
    who: 'governance lead',
    body: seriousnessSchema,
    idempotencyKey: true,
    responses: {
      200: 'the incident and its report deadline as it now runs',
      ...refused,
      409: 'the incident is closed or being closed, or serious already and the assessment names no causal link',
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'post',
    path: '/api/v1/systems/:id/reviews',
    tag: 'reviews',
    summary:
      'Start a periodic review now (the schedule starts them on its own): the owner attests unchanged or changed; a change or an incident since the last review starts a re-assessment',
    who: 'the owner or a governance lead',
    body: requestReviewBody,
    idempotencyKey: true,
    responses: {
      202: 'accepted; the review workflow started',
      ...refused,
      409: 'a review is already open, or the system is not in service',
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'get',
    path: '/api/v1/systems/:id/reviews',
    tag: 'reviews',
    summary: "The system's reviews, newest first, with its review schedule (interval, paused, next run)",
    who: 'owner, task assignees, oversight roles',
    responses: { 200: 'the reviews', ...refused, 503: 'Temporal unavailable' },
  },
  {
    method: 'put',
    path: '/api/v1/systems/:id/tier',
    tag: 'reviews',
    summary:
      "Re-tier a system after onboarding: the review interval follows at once; open tasks keep their tier. A lower tier waits for a second governance lead's same request",
    who: 'a governance lead who does not own the system',
    body: retierBody,
    responses: {
      200: 'the tier and the review interval',
      202: 'a lower tier proposed, awaiting another governance lead',
      ...refused,
      409: 'the system is in triage (amend the intake) or has left service',
      503: 'Temporal unavailable; retry',
    },
  },
  {
    method: 'get',
    path: '/api/v1/audit/verify',
    tag: 'audit',
    summary: 'Recompute the audit hash chain and report the first broken link',
    who: oversight,
    responses: { 200: 'the verification result', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/tasks',
    tag: 'tasks',
    summary: 'Tasks: yours, or all for oversight roles',
    who: 'anyone signed in',
    query: taskListQuery,
    responses: { 200: 'the tasks', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/tasks/:id',
    tag: 'tasks',
    summary: 'One task with its decisions and history',
    who: 'assignees, requester, oversight roles',
    responses: { 200: 'the task', ...refused },
  },
  {
    method: 'post',
    path: '/api/v1/tasks/:id/decision',
    tag: 'tasks',
    summary: 'Decide on a task (a Temporal Update; the Idempotency-Key is its id)',
    who: 'an assignee',
    body: decisionBody,
    idempotencyKey: true,
    responses: {
      200: 'the decision was accepted',
      ...refused,
      409: 'the workflow refused it (closed, not an assignee, snapshot changed, ...)',
      503: 'Temporal unavailable; retry with the same key',
    },
  },
  {
    method: 'post',
    path: '/api/v1/tasks/:id/delegate',
    tag: 'tasks',
    summary: 'Hand your seat on the task to someone',
    who: 'an assignee',
    body: delegateBody,
    idempotencyKey: true,
    responses: { 200: 'delegated', ...refused, 409: 'refused by the workflow' },
  },
  {
    method: 'post',
    path: '/api/v1/tasks/:id/reassign',
    tag: 'tasks',
    summary: 'Move a seat from one person to another',
    who: 'governance_lead',
    body: reassignBody,
    idempotencyKey: true,
    responses: { 200: 'reassigned', ...refused, 409: 'refused by the workflow' },
  },
  {
    method: 'post',
    path: '/api/v1/tasks/:id/withdraw',
    tag: 'tasks',
    summary: 'Withdraw your request',
    who: 'the requester',
    body: withdrawBody,
    idempotencyKey: true,
    responses: { 200: 'withdrawn', ...refused, 409: 'the task is closed' },
  },
  {
    method: 'get',
    path: '/api/v1/dashboard/overdue',
    tag: 'dashboard',
    summary: 'Open tasks past their SLA, most overdue first, with holders and escalation level (keyset pages: pass nextCursor as cursor)',
    who: oversight,
    query: overdueQuery,
    responses: { 200: 'a page of overdue tasks', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/dashboard/summary',
    tag: 'dashboard',
    summary: 'Systems by state and tier, open and overdue tasks, escalations and breaches since a date (default: start of the month)',
    who: oversight,
    query: summaryQuery,
    responses: { 200: 'the counts', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/reviews/upcoming',
    tag: 'dashboard',
    summary: 'Periodic reviews overdue and due within the window',
    who: oversight,
    query: upcomingReviewsQuery,
    responses: { 200: 'the reviews', ...refused },
  },
  {
    method: 'get',
    path: '/api/v1/me',
    tag: 'me',
    summary: 'Who you are, and your out-of-office delegation',
    who: 'anyone signed in',
    responses: { 200: 'your profile', 401: refused[401] },
  },
  {
    method: 'put',
    path: '/api/v1/me/delegation',
    tag: 'me',
    summary: 'Out of office: tasks opened while you are away go to the delegate',
    who: 'anyone signed in',
    body: delegationBody,
    responses: { 200: 'delegation set', 400: refused[400], 401: refused[401] },
  },
  {
    method: 'delete',
    path: '/api/v1/me/delegation',
    tag: 'me',
    summary: 'End your out-of-office delegation',
    who: 'anyone signed in',
    responses: { 204: 'ended', 401: refused[401] },
  },
  {
    method: 'delete',
    path: '/api/v1/principals/:id/sessions',
    tag: 'me',
    summary: 'End every web session of a person at once (a lost laptop); the audit chain names the admin',
    who: 'admin',
    responses: { 200: '{principalId, ended}', ...refused, 404: 'no such principal' },
  },
  { method: 'get', path: '/healthz', tag: 'operations', summary: 'Liveness', responses: { 200: 'the process is up' } },
  {
    method: 'get',
    path: '/readyz',
    tag: 'operations',
    summary: 'Readiness: PostgreSQL and Temporal reachable',
    responses: { 200: 'ready', 503: 'a dependency is down' },
  },
  {
    method: 'get',
    path: '/metrics',
    tag: 'operations',
    summary: "Prometheus metrics, on the metrics listener (METRICS_HOST:METRICS_PORT), not the api's port",
    produces: 'text/plain',
    responses: { 200: 'Prometheus text exposition format' },
  },
  { method: 'get', path: '/openapi.json', tag: 'operations', summary: 'This document', responses: { 200: 'OpenAPI 3.1' } },
  { method: 'get', path: '/docs', tag: 'operations', summary: 'This document as a page', produces: 'text/html', responses: { 200: 'HTML' } },
];

const errorBody = z.object({
  error: z.string(),
  message: z.string(),
  fields: z.record(z.string(), z.array(z.string())).optional(),
  errorId: z.uuid(),
});

/** JSON Schema of what a client sends; the dialect marker is the document's, not each schema's. */
function jsonSchema(schema: z.ZodType): Record<string, any> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, any>;
  return rest;
}

const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

function operationObject(operation: Operation) {
  const parameters: Record<string, unknown>[] = [];
  for (const [name] of operation.path.matchAll(/:(\w+)/g)) {
    parameters.push({ name: name.slice(1), in: 'path', required: true, schema: jsonSchema(uuidParam) });
  }
  if (operation.query) {
    const query = jsonSchema(operation.query);
    const required: string[] = query.required ?? [];
    for (const [name, schema] of Object.entries<Record<string, unknown>>(query.properties ?? {})) {
      parameters.push({ name, in: 'query', required: required.includes(name), schema });
    }
  }
  if (operation.idempotencyKey) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Makes a retry return the first result',
      schema: { type: 'string', minLength: 8, maxLength: 200, pattern: '^[\\w.:-]+$' },
    });
  }
  const responses = Object.fromEntries(
    Object.entries(operation.responses).map(([status, description]) => {
      const code = Number(status);
      if (code >= 400) return [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }];
      if (code === 204) return [status, { description }];
      return [status, { description, content: { [operation.produces ?? 'application/json']: {} } }];
    }),
  );
  return {
    tags: [operation.tag],
    summary: operation.summary,
    ...(operation.who && { description: `Who: ${operation.who}.` }),
    operationId: `${operation.method}${openApiPath(operation.path).replace(/[^A-Za-z0-9]+(.)?/g, (_match, next: string | undefined) => (next ?? '').toUpperCase())}`,
    ...(parameters.length && { parameters }),
    ...(operation.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.body) } } } }),
    responses,
    security: operation.who ? [{ apiKey: [] }] : [],
  };
}

const packageVersion = (JSON.parse(readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { version: string }).version;

let built: Record<string, any> | undefined;

export function openApiDocument(): Record<string, any> {
  if (built) return built;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of operations) (paths[openApiPath(operation.path)] ??= {})[operation.method] = operationObject(operation);
  built = {
    openapi: '3.1.0',
    info: {
      title: 'aims-flow',
      version: packageVersion,
      description: 'An ISO/IEC 42001 AI management system run as durable Temporal workflows. Every /api/v1 route needs Authorization: Bearer <api key>.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBody) },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'The API key of a principal' } },
    },
  };
  return built;
}

/** /docs: the same document as a plain page, one section per operation with its schemas. */
export function docsPage(): string {
  const document = openApiDocument();
  const entries = operations.map((operation) => ({ operation, object: document.paths[openApiPath(operation.path)][operation.method] }));
  const anchor = (operation: Operation) => `${operation.method}-${openApiPath(operation.path).replace(/[^A-Za-z0-9]+/g, '-')}`;
  const pretty = (value: unknown) => JSON.stringify(value, null, 2);
  const tags = [...new Set(operations.map((operation) => operation.tag))];
  const section = ({ operation, object }: (typeof entries)[number]): SafeHtml => html`
<section id="${anchor(operation)}">
<h3><code>${operation.method.toUpperCase()} ${openApiPath(operation.path)}</code></h3>
<p>${operation.summary}.${operation.who ? html` <strong>Who:</strong> ${operation.who}.` : html` No sign-in.`}</p>
${
  object.parameters
    ? html`<div class="table-wrap"><table><caption>Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th><th scope="col">required</th><th scope="col">schema</th></tr></thead>
<tbody>${object.parameters.map((parameter: any) => html`<tr><td><code>${parameter.name}</code></td><td>${parameter.in}</td><td>${parameter.required ? 'yes' : 'no'}</td><td><code>${JSON.stringify(parameter.schema)}</code></td></tr>`)}</tbody></table></div>`
    : ''
}
${object.requestBody ? html`<p><strong>Request body</strong> (application/json):</p><pre>${pretty(object.requestBody.content['application/json'].schema)}</pre>` : ''}
<p><strong>Responses:</strong></p><ul>${Object.entries<{ description: string }>(object.responses).map(([status, response]) => html`<li><code>${status}</code> ${response.description}</li>`)}</ul>
</section>`;
  return layout(
    'API reference',
    html`<p>Generated from the zod schemas the routes validate with; the machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI ${document.openapi}).
Errors are JSON: <code>${pretty(document.components.schemas.Error)}</code></p>
<nav aria-label="Operations"><ul>${tags.map(
      (tag) =>
        html`<li>${tag}: ${entries
          .filter((entry) => entry.operation.tag === tag)
          .map(
            (entry, index) =>
              html`${index ? ', ' : ''}<a href="#${anchor(entry.operation)}">${entry.operation.method.toUpperCase()} ${openApiPath(entry.operation.path)}</a>`,
          )}</li>`,
    )}</ul></nav>
${tags.map((tag) => html`<h2>${tag}</h2>${entries.filter((entry) => entry.operation.tag === tag).map(section)}`)}`,
  );
}
