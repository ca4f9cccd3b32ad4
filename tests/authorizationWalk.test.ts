import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { createApp } from '../api/app';
import { newApiKey, upsertPrincipal } from '../db/principals';
import { withTriage } from './helpers/policies';
import { eventually, sampleIntake, signInByEmail, startHarness, type CastMember, type Harness } from './helpers/harness';

/**
 * Every route and page of the app, called by everyone with a stake in one system and by people with
 * none, on a task whose seat went by delegation to one person and by reassignment on to another. The
 * expected answers are written out here, not taken from the code under test; a route added without a
 * line in these tables fails the walk.
 */

type Caller = 'anonymous' | 'owner' | 'formerHolder' | 'holder' | 'lead' | 'auditor' | 'admin' | 'stranger' | 'specialist';
const callers: Caller[] = ['anonymous', 'owner', 'formerHolder', 'holder', 'lead', 'auditor', 'admin', 'stranger', 'specialist'];
/** Who plays each part: the seat went from the lead to Ada by delegation, then from Ada to Erin by reassignment. */
const played: Record<Exclude<Caller, 'anonymous'>, string> = {
  admin: 'admin',
  owner: 'owner',
  formerHolder: 'approver',
  holder: 'executive',
  lead: 'lead',
  auditor: 'auditor',
  stranger: 'ownerManager',
  specialist: 'privacy',
};

type Expected = Record<Caller, number>;
/** -1: this caller may do it, and doing it is a feature test's business, not the walk's. */
const notCalled = -1;

const everyone = (status: number, except: Partial<Expected> = {}): Expected =>
  ({ ...Object.fromEntries(callers.map((caller) => [caller, status])), ...except }) as Expected;
const signedIn = (status: number, except: Partial<Expected> = {}) => everyone(status, { anonymous: 401, ...except });
/** Owner, current seat holder and oversight roles see the system and its task; a former holder no longer does. */
const sightOfSystem = (status: number, except: Partial<Expected> = {}) => signedIn(status, { formerHolder: 403, stranger: 403, specialist: 403, ...except });
const oversightOnly = (status: number) => signedIn(403, { lead: status, auditor: status, admin: status });

interface Call {
  method: string;
  /** The route as the app declares it. */
  route: string;
  /** The path called: ids filled in. */
  path: (ids: { systemId: string; taskId: string }) => string;
  body?: unknown;
  expected: Expected;
  /** What a 409 must be: the task's own refusal, not a state the walk happened to meet. */
  conflict?: string;
}

const system =
  (suffix = '') =>
  ({ systemId }: { systemId: string }) =>
    `/api/v1/systems/${systemId}${suffix}`;
const task =
  (suffix = '') =>
  ({ taskId }: { taskId: string }) =>
    `/api/v1/tasks/${taskId}${suffix}`;
const fixed = (path: string) => () => path;

/**
 * The JSON API. Bodies are valid, so each answer is the authorisation's (or, for someone allowed, what
 * the system's state allows: it is in triage). Calls that would change something are only made by
 * people who may not make them, or where the state refuses them (409), so the walk changes nothing.
 */
const apiCalls: Call[] = [
  { method: 'GET', route: '/api/v1/systems', path: fixed('/api/v1/systems'), expected: signedIn(200) },
  { method: 'GET', route: '/api/v1/systems/:id', path: system(), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/systems/:id/timeline', path: system('/timeline'), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/systems/:id/assessments', path: system('/assessments'), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/systems/:id/evidence', path: system('/evidence'), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/systems/:id/retirement', path: system('/retirement'), expected: sightOfSystem(404) },
  { method: 'GET', route: '/api/v1/systems/:id/incidents', path: system('/incidents'), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/systems/:id/reviews', path: system('/reviews'), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/audit/verify', path: fixed('/api/v1/audit/verify'), expected: oversightOnly(200) },
  { method: 'GET', route: '/api/v1/tasks', path: fixed('/api/v1/tasks'), expected: signedIn(200) },
  { method: 'GET', route: '/api/v1/tasks/:id', path: task(), expected: sightOfSystem(200) },
  { method: 'GET', route: '/api/v1/dashboard/overdue', path: fixed('/api/v1/dashboard/overdue'), expected: oversightOnly(200) },
  { method: 'GET', route: '/api/v1/dashboard/summary', path: fixed('/api/v1/dashboard/summary'), expected: oversightOnly(200) },
  { method: 'GET', route: '/api/v1/reviews/upcoming', path: fixed('/api/v1/reviews/upcoming'), expected: oversightOnly(200) },
  { method: 'GET', route: '/api/v1/me', path: fixed('/api/v1/me'), expected: signedIn(200) },
  // Only system owners file; the owner's own filing is the feature tests' (it would start a process).
  {
    method: 'POST',
    route: '/api/v1/systems',
    path: fixed('/api/v1/systems'),
    body: sampleIntake({ name: 'Not mine to file' }),
    expected: signedIn(403, { owner: notCalled }),
  },
  {
    method: 'PUT',
    route: '/api/v1/systems/:id/intake',
    path: system('/intake'),
    body: sampleIntake({ name: 'Rewritten by someone else' }),
    expected: signedIn(403, { owner: notCalled }),
  },
  {
    method: 'POST',
    route: '/api/v1/systems/:id/withdraw',
    path: system('/withdraw'),
    body: { reason: 'not yours to withdraw' },
    expected: signedIn(403, { owner: notCalled }),
  },
  // In triage, no review or re-tiering yet: whoever may ask hears 409.
  {
    method: 'POST',
    route: '/api/v1/systems/:id/retirement',
    path: system('/retirement'),
    body: { reason: 'replaced', retireOn: '2027-01-01' },
    expected: signedIn(403, { owner: notCalled, lead: notCalled }),
  },
  { method: 'POST', route: '/api/v1/systems/:id/reviews', path: system('/reviews'), body: {}, expected: signedIn(403, { owner: 409, lead: 409 }) },
  {
    method: 'PUT',
    route: '/api/v1/systems/:id/tier',
    path: system('/tier'),
    body: { tier: 'high', reason: 'new evidence' },
    expected: signedIn(403, { lead: 409 }),
  },
  // Anyone in the organisation may report an incident, also on a system they do not see (and learn nothing of it).
  {
    method: 'POST',
    route: '/api/v1/systems/:id/incidents',
    path: system('/incidents'),
    body: { severity: 'low', description: 'Looks wrong', occurredAt: '2026-12-01T10:00:00.000Z' },
    expected: signedIn(202),
  },
  // Only a governance lead decides on seriousness; here of an incident that does not exist (404), so the walk changes nothing.
  {
    method: 'POST',
    route: '/api/v1/systems/:id/incidents/:incidentId/seriousness',
    path: system('/incidents/00000000-0000-4000-8000-000000000000/seriousness'),
    body: { limbs: ['property_or_environment_harm'], rationale: 'Stock was destroyed' },
    expected: signedIn(403, { lead: 404 }),
  },
  // The seat is Erin's: anyone else who sees the task is refused by the task itself (409), the requester by
  // segregation of duties (403), others never reach it.
  {
    method: 'POST',
    route: '/api/v1/tasks/:id/decision',
    path: task('/decision'),
    body: { decision: 'accept', snapshotHash: '0'.repeat(64) },
    expected: sightOfSystem(409, { owner: 403, holder: notCalled }),
    conflict: 'not_assignee',
  },
  {
    method: 'POST',
    route: '/api/v1/tasks/:id/delegate',
    path: task('/delegate'),
    body: { to: 'leadManager', reason: 'away' },
    expected: sightOfSystem(409, { holder: notCalled }),
    conflict: 'not_assignee',
  },
  {
    method: 'POST',
    route: '/api/v1/tasks/:id/reassign',
    path: task('/reassign'),
    body: { from: 'executive', to: 'approver', reason: 'back' },
    expected: signedIn(403, { lead: notCalled }),
  },
  {
    method: 'POST',
    route: '/api/v1/tasks/:id/withdraw',
    path: task('/withdraw'),
    body: { reason: 'not mine' },
    expected: sightOfSystem(403, { owner: notCalled }),
  },
  {
    method: 'PUT',
    route: '/api/v1/me/delegation',
    path: fixed('/api/v1/me/delegation'),
    body: { to: 'lead', until: '2027-01-01T00:00:00.000Z' },
    expected: signedIn(notCalled, { anonymous: 401 }),
  },
  { method: 'DELETE', route: '/api/v1/me/delegation', path: fixed('/api/v1/me/delegation'), expected: signedIn(notCalled, { anonymous: 401 }) },
  {
    method: 'DELETE',
    route: '/api/v1/principals/:id/sessions',
    path: fixed('/api/v1/principals/lead/sessions'),
    expected: signedIn(403, { admin: notCalled }),
  },
  { method: 'GET', route: '/healthz', path: fixed('/healthz'), expected: everyone(200) },
  { method: 'GET', route: '/readyz', path: fixed('/readyz'), expected: everyone(200) },
  { method: 'GET', route: '/openapi.json', path: fixed('/openapi.json'), expected: everyone(200) },
  { method: 'GET', route: '/docs', path: fixed('/docs'), expected: everyone(200) },
];

/** Signed out, a page sends one to sign in. */
const page = (status: number, except: Partial<Expected> = {}) => everyone(status, { anonymous: 303, ...except });
const pageOfSystem = (status: number, except: Partial<Expected> = {}) => page(status, { formerHolder: 403, stranger: 403, specialist: 403, ...except });
const pagePath = (path: string) => () => path;

/** The server-rendered pages. Forms post with the caller's CSRF token; without a session there is none to post. */
const pageCalls: Call[] = [
  // The start page sends one on: to sign in, or to one's work.
  { method: 'GET', route: '/', path: pagePath('/'), expected: everyone(303) },
  { method: 'GET', route: '/signin', path: pagePath('/signin'), expected: everyone(200) },
  { method: 'GET', route: '/sessions', path: pagePath('/sessions'), expected: page(200) },
  { method: 'POST', route: '/sessions/end', path: pagePath('/sessions/end'), body: {}, expected: page(notCalled) },
  { method: 'GET', route: '/dashboard', path: pagePath('/dashboard'), expected: page(403, { lead: 200, auditor: 200, admin: 200 }) },
  { method: 'GET', route: '/systems', path: pagePath('/systems'), expected: page(200) },
  { method: 'GET', route: '/systems/new', path: pagePath('/systems/new'), expected: page(403, { owner: 200 }) },
  { method: 'POST', route: '/systems/new', path: pagePath('/systems/new'), body: { name: 'Not mine to file' }, expected: page(403, { owner: notCalled }) },
  { method: 'GET', route: '/systems/:id', path: ({ systemId }) => `/systems/${systemId}`, expected: pageOfSystem(200) },
  { method: 'GET', route: '/systems/:id/incidents/new', path: ({ systemId }) => `/systems/${systemId}/incidents/new`, expected: page(200) },
  {
    method: 'POST',
    route: '/systems/:id/incidents/new',
    path: ({ systemId }) => `/systems/${systemId}/incidents/new`,
    body: { severity: 'low', description: 'Looks wrong', occurredAt: '2026-12-01T10:00' },
    expected: page(200),
  },
  { method: 'GET', route: '/tasks', path: pagePath('/tasks'), expected: page(200) },
  { method: 'GET', route: '/tasks/:id', path: ({ taskId }) => `/tasks/${taskId}`, expected: pageOfSystem(200) },
  {
    method: 'POST',
    route: '/tasks/:id',
    path: ({ taskId }) => `/tasks/${taskId}`,
    body: { choice: 'accept', snapshotHash: '0'.repeat(64) },
    expected: pageOfSystem(409, { owner: 403, holder: notCalled }),
  },
];

/**
 * Reached by a token, not a role: every caller is the same stranger to a token they do not hold. What
 * a real token allows is tests/emailActions.test.ts's and the sign-in tests'.
 */
const tokenCalls: Call[] = [
  { method: 'POST', route: '/signin', path: pagePath('/signin'), body: { email: 'not an address' }, expected: everyone(400) },
  { method: 'POST', route: '/signin/:token', path: pagePath(`/signin/${'x'.repeat(43)}`), body: { next: '/' }, expected: everyone(410) },
  { method: 'GET', route: '/signin/:token', path: pagePath(`/signin/${'x'.repeat(43)}`), expected: everyone(410) },
  { method: 'GET', route: '/actions/:token', path: pagePath(`/actions/${'x'.repeat(43)}`), expected: everyone(404) },
  { method: 'POST', route: '/actions/:token', path: pagePath(`/actions/${'x'.repeat(43)}`), body: { choice: 'approve' }, expected: everyone(404) },
  // Last: it ends the sessions the page walk used.
  { method: 'POST', route: '/signout', path: pagePath('/signout'), body: {}, expected: everyone(303) },
];

let h: Harness;
let ids: { systemId: string; taskId: string };
const adminKey = newApiKey();
/** Each caller's API key and web session. */
const credentials = {} as Record<Caller, { apiKey?: string; cookie?: string; csrf?: string }>;

beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(withTriage({ delegateRoles: ['approver'], escalationLadder: [{ action: 'add', target: 'executive', window: '1h' }] }));
  await upsertPrincipal(h.pool, { id: 'admin', email: 'admin@example.test', name: 'Ada Admin', roles: ['admin'], managerId: null, apiKey: adminKey });

  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Walked system' }) });
  const systemId = filed.body.systemId as string;
  const triage = await h.openTask(systemId, 'intake_triage');
  expect((await h.api('POST', `/api/v1/tasks/${triage.id}/delegate`, { as: 'lead', body: { to: 'approver', reason: 'away this week' } })).status).toBe(200);
  expect(
    (await h.api('POST', `/api/v1/tasks/${triage.id}/reassign`, { as: 'lead', body: { from: 'approver', to: 'executive', reason: 'Ada is on leave' } })).status,
  ).toBe(200);
  ids = { systemId, taskId: triage.id };

  credentials.anonymous = {};
  // The cast has no admin: this walk adds one, as the directory would.
  (h.people as Record<string, { id: string; email: string; name: string; apiKey: string }>).admin = {
    id: 'admin',
    email: 'admin@example.test',
    name: 'Ada Admin',
    apiKey: adminKey,
  };
  for (const [caller, member] of Object.entries(played) as [Caller, string][]) {
    const { sessionCookie } = await signInByEmail(h, member as CastMember);
    const sessionsPage = await (await fetch(`${h.baseUrl}/sessions`, { headers: { cookie: sessionCookie } })).text();
    credentials[caller] = {
      apiKey: h.people[member as CastMember].apiKey,
      cookie: sessionCookie,
      csrf: sessionsPage.match(/name="_csrf" value="([^"]+)"/)![1],
    };
  }
}, 120_000);
afterAll(() => h?.stop());

async function apiStatus(caller: Caller, call: Call): Promise<number | string> {
  const { apiKey } = credentials[caller];
  const response = await fetch(`${h.baseUrl}${call.path(ids)}`, {
    method: call.method,
    headers: { ...(apiKey && { authorization: `Bearer ${apiKey}` }), ...(call.body !== undefined && { 'content-type': 'application/json' }) },
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const text = await response.text();
  if (response.status === 409 && call.conflict) {
    const { error } = JSON.parse(text) as { error: string };
    if (error !== call.conflict) return `409 ${error}`;
  }
  return response.status;
}

/** Every route the app declares, as `METHOD /path`, walked through its routers. */
function declaredRoutes(app: Express): string[] {
  const routes: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = layer.route.path === '/' && prefix ? prefix : `${prefix}${layer.route.path}`;
        for (const method of Object.keys(layer.route.methods)) routes.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, layer.rawPath && layer.rawPath !== '/' ? `${prefix}${layer.rawPath}` : prefix);
      }
    }
  };
  walk((app as any).router.stack, '');
  return routes;
}

async function pageStatus(caller: Caller, call: Call): Promise<number> {
  const { cookie, csrf } = credentials[caller];
  const response = await fetch(`${h.baseUrl}${call.path(ids)}`, {
    method: call.method,
    redirect: 'manual',
    headers: { ...(cookie && { cookie }), ...(call.body !== undefined && { 'content-type': 'application/x-www-form-urlencoded', origin: h.baseUrl }) },
    body: call.body === undefined ? undefined : new URLSearchParams({ ...(call.body as Record<string, string>), ...(csrf && { _csrf: csrf }) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function walk(calls: Call[], status: (caller: Caller, call: Call) => Promise<number | string>): Promise<string[]> {
  const unexpected: string[] = [];
  for (const call of calls) {
    for (const caller of callers) {
      if (call.expected[caller] === notCalled) continue;
      const answered = await status(caller, call);
      if (answered !== call.expected[caller]) unexpected.push(`${call.method} ${call.route} as ${caller}: ${answered}, expected ${call.expected[caller]}`);
    }
  }
  return unexpected;
}

describe('the authorisation walk', () => {
  it('answers every API route as the table says, for everyone', async () => {
    expect(await walk(apiCalls, apiStatus)).toEqual([]);
  });

  it('answers every page as the table says, for everyone signed in or not', async () => {
    expect(await walk(pageCalls, pageStatus)).toEqual([]);
  });

  it('answers a token one does not hold alike for everyone', async () => {
    expect(await walk(tokenCalls, pageStatus)).toEqual([]);
  });

  it('left the system and its task as they were: no refused call changed anything', async () => {
    const { body } = await h.api('GET', `/api/v1/tasks/${ids.taskId}`, { as: 'lead' });
    expect(body.task).toMatchObject({ status: 'open', subjectVersion: 1 });
    expect((await h.api('GET', `/api/v1/systems/${ids.systemId}`, { as: 'lead' })).body.system).toMatchObject({ state: 'intake', name: 'Walked system' });
    // Everyone signed in reported one incident through the API and one through the page; nobody retired it.
    const reported = 2 * (callers.length - 1);
    await eventually(async () =>
      (await h.api('GET', `/api/v1/systems/${ids.systemId}/incidents`, { as: 'lead' })).body.incidents?.length === reported ? true : undefined,
    );
    expect((await h.api('GET', `/api/v1/systems/${ids.systemId}/retirement`, { as: 'lead' })).status).toBe(404);
  });

  it('lets the one who holds the seat by reassignment decide', async () => {
    expect((await h.decide(ids.taskId, 'executive', 'accept')).status).toBe(200);
  });

  it('has a line for every route the app declares', () => {
    const walked = new Set([...apiCalls, ...pageCalls, ...tokenCalls].map((call) => `${call.method} ${call.route}`));
    const undeclared = declaredRoutes(createApp(h.deps)).filter((route) => !walked.has(route));
    expect(undeclared).toEqual([]);
  });
});
