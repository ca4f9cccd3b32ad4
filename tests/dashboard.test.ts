import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createMetricsApp } from '../api/app';
import { createMetrics } from '../api/metrics';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { triageOnlyPolicy, withTriage } from './helpers/policies';

/**
 * One state the whole file reads: a system triaged and accepted in time ("Decided early"), and two
 * whose triage went past its 2 s SLA and escalated to level 1 ("Late in Finance", "Late in Marketing").
 */
let h: Harness;
const ids = { decided: '', finance: '', marketing: '' };
const overdueTaskIds: string[] = [];

// These fixtures are about triage: accepted systems skip the impact assessment and its tasks.
const lateTriage = {
  ...withTriage({
    steps: [{ role: 'governance_lead' }],
    slaByTier: { low: '2s', medium: '2s', high: '2s', prohibited: '2s' },
    reminderPoints: [],
    escalationLadder: [{ action: 'notify', target: 'manager', window: '1h' }],
  }),
  assessment: triageOnlyPolicy.assessment,
  riskTreatment: triageOnlyPolicy.riskTreatment,
};

async function openTaskOf(systemId: string) {
  return eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return body.openTasks?.[0];
  });
}

beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
  ids.decided = (await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Decided early', businessUnit: 'Finance' }) })).body.systemId;
  const early = await openTaskOf(ids.decided);
  expect((await h.decide(early.id, 'lead', 'accept')).status).toBe(200);
  await eventually(async () => ((await h.api('GET', `/api/v1/systems/${ids.decided}`)).body.system.state === 'active' ? true : undefined));

  h.usePolicy(lateTriage);
  ids.finance = (await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Late in Finance', businessUnit: 'Finance' }) })).body.systemId;
  overdueTaskIds.push((await openTaskOf(ids.finance)).id);
  ids.marketing = (await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Late in Marketing', businessUnit: 'Marketing' }) })).body.systemId;
  overdueTaskIds.push((await openTaskOf(ids.marketing)).id);
  // Both past their SLA, and the first escalation level has acted on both.
  await eventually(async () => {
    const { body } = await h.api('GET', '/api/v1/tasks?overdue=true&escalationLevel=1', { as: 'lead' });
    return body.tasks.length === 2 ? true : undefined;
  });
});
afterAll(() => h?.stop());

describe('GET /api/v1/dashboard/overdue', () => {
  it('lists each task past its SLA, most overdue first, with its holders, age past due, level, process, system and tier', async () => {
    const { status, body } = await h.api('GET', '/api/v1/dashboard/overdue', { as: 'lead' });
    expect(status).toBe(200);
    expect(body.tasks.map((task: { taskId: string }) => task.taskId)).toEqual(overdueTaskIds);
    expect(body.tasks[0]).toMatchObject({
      taskId: overdueTaskIds[0],
      process: 'intake_triage',
      systemId: ids.finance,
      systemName: 'Late in Finance',
      systemState: 'intake',
      tier: 'low',
      businessUnit: 'Finance',
      escalationLevel: 1,
      holders: [{ principalId: 'lead', name: 'Grace Lead', onBehalfOf: null, addedAtLevel: 0 }],
      links: { task: `/api/v1/tasks/${overdueTaskIds[0]}`, system: `/api/v1/systems/${ids.finance}` },
    });
    const first = body.tasks[0];
    expect(first.secondsOverdue).toBeGreaterThanOrEqual(0);
    expect(first.secondsOverdue).toBeLessThanOrEqual(Math.ceil((Date.now() - Date.parse(first.dueAt)) / 1000) + 1);
    expect(Date.parse(first.nextDeadlineAt)).toBeGreaterThan(Date.parse(first.dueAt));
    expect(body.nextCursor).toBeNull();
  });

  it('filters by business unit, tier and process', async () => {
    const taskIds = async (query: string) =>
      (await h.api('GET', `/api/v1/dashboard/overdue?${query}`, { as: 'lead' })).body.tasks.map((task: { taskId: string }) => task.taskId);
    expect(await taskIds('businessUnit=Marketing')).toEqual([overdueTaskIds[1]]);
    expect(await taskIds('businessUnit=Finance&tier=low&process=intake_triage')).toEqual([overdueTaskIds[0]]);
    expect(await taskIds('tier=high')).toEqual([]);
    expect(await taskIds('process=intake_revision')).toEqual([]);
  });

  it('pages with a cursor, and refuses a cursor it did not issue', async () => {
    const first = await h.api('GET', '/api/v1/dashboard/overdue?limit=1', { as: 'auditor' });
    expect(first.body.tasks.map((task: { taskId: string }) => task.taskId)).toEqual([overdueTaskIds[0]]);
    expect(first.body.links.next).toBe(`/api/v1/dashboard/overdue?limit=1&cursor=${first.body.nextCursor}`);
    const second = await h.api('GET', first.body.links.next, { as: 'auditor' });
    expect(second.body.tasks.map((task: { taskId: string }) => task.taskId)).toEqual([overdueTaskIds[1]]);
    expect(second.body.nextCursor).toBeNull();
    const forged = await h.api('GET', '/api/v1/dashboard/overdue?cursor=bm90LWEtY3Vyc29y', { as: 'lead' });
    expect(forged.status).toBe(400);
    expect(forged.body.fields).toHaveProperty('cursor');
  });

  it('is for oversight roles only, and validates its query', async () => {
    expect((await h.api('GET', '/api/v1/dashboard/overdue', { as: 'owner' })).status).toBe(403);
    expect((await h.api('GET', '/api/v1/dashboard/overdue', { as: 'approver' })).status).toBe(403);
    expect((await h.api('GET', '/api/v1/dashboard/overdue', { as: null })).status).toBe(401);
    const invalid = await h.api('GET', '/api/v1/dashboard/overdue?limit=501&tier=extreme&sort=asc', { as: 'lead' });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.fields).sort()).toEqual(['limit', 'sort', 'tier']);
  });
});

describe('GET /api/v1/dashboard/summary', () => {
  it('counts systems by state and tier, open and overdue tasks, and escalations and breaches of the period', async () => {
    const { status, body } = await h.api('GET', '/api/v1/dashboard/summary', { as: 'lead' });
    expect(status).toBe(200);
    expect(body.systems).toMatchObject({ total: 3, byState: { active: 1, intake: 2 }, byTier: { low: 3 } });
    expect(body.systems.byStateAndTier).toEqual([
      { state: 'active', tier: 'low', count: 1 },
      { state: 'intake', tier: 'low', count: 2 },
    ]);
    expect(body.tasks).toEqual({ open: 2, overdue: 2, overdueByEscalationLevel: { '1': 2 } });
    const now = new Date();
    expect(body.period).toMatchObject({ since: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(), escalations: 2, breaches: 2 });
  });

  it('takes the period start from ?since=', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = await h.api('GET', `/api/v1/dashboard/summary?since=${tomorrow}`, { as: 'auditor' });
    expect(later.body.period).toMatchObject({ since: `${tomorrow}T00:00:00.000Z`, escalations: 0, breaches: 0 });
    expect((await h.api('GET', '/api/v1/dashboard/summary?since=last-week', { as: 'auditor' })).status).toBe(400);
    expect((await h.api('GET', '/api/v1/dashboard/summary', { as: 'owner' })).status).toBe(403);
  });
});

describe('GET /api/v1/reviews/upcoming', () => {
  it('answers an honest empty list while nothing sets review dates, then lists overdue and upcoming reviews', async () => {
    const empty = await h.api('GET', '/api/v1/reviews/upcoming', { as: 'lead' });
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ within: '30d', overdue: [], upcoming: [] });

    await h.pool.query(`UPDATE ai_systems SET next_review_due = now() + interval '10 days' WHERE id = $1`, [ids.decided]);
    await h.pool.query(`UPDATE ai_systems SET next_review_due = now() - interval '1 day' WHERE id = $1`, [ids.finance]);
    try {
      const within30 = await h.api('GET', '/api/v1/reviews/upcoming?within=30d', { as: 'lead' });
      expect(within30.body.overdue.map((review: { systemId: string }) => review.systemId)).toEqual([ids.finance]);
      expect(within30.body.upcoming).toEqual([expect.objectContaining({ systemId: ids.decided, name: 'Decided early', tier: 'low', ownerId: 'owner' })]);
      const within5 = await h.api('GET', '/api/v1/reviews/upcoming?within=5d&businessUnit=Finance', { as: 'lead' });
      expect(within5.body.upcoming).toEqual([]);
      expect(within5.body.overdue).toHaveLength(1);
    } finally {
      await h.pool.query('UPDATE ai_systems SET next_review_due = NULL');
    }
    expect((await h.api('GET', '/api/v1/reviews/upcoming?within=2y', { as: 'lead' })).status).toBe(400);
    expect((await h.api('GET', '/api/v1/reviews/upcoming', { as: 'approver' })).status).toBe(403);
  });
});

describe('GET /api/v1/systems/:id/timeline', () => {
  it('shows the owner every audit event of their system in order, each with actor, data and a readable summary', async () => {
    const { status, body } = await h.api('GET', `/api/v1/systems/${ids.decided}/timeline`, { as: 'owner' });
    expect(status).toBe(200);
    expect(body.events.map((event: { type: string }) => event.type)).toEqual([
      'system.registered',
      'system.triaged',
      'task.opened',
      'task.step_opened',
      'task.decided',
      'task.closed',
      'system.state_changed',
      'system.state_changed',
      'system.state_changed',
    ]);
    const seqs = body.events.map((event: { seq: number }) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(body.events[0]).toMatchObject({
      actor: { id: 'owner', name: 'Olivia Owner' },
      data: { name: 'Decided early' },
      summary: expect.stringContaining('Decided early'),
    });
    expect(body.events[4]).toMatchObject({ actor: { id: 'lead', name: 'Grace Lead' }, data: { choice: 'accept' }, summary: expect.stringContaining('accept') });
    expect(body.events[1].actor).toBeNull();
    for (const event of body.events) expect(Date.parse(event.occurredAt)).not.toBeNaN();
  });

  it('refuses an approver unrelated to the system, and answers 404 for a system that does not exist', async () => {
    expect((await h.api('GET', `/api/v1/systems/${ids.decided}/timeline`, { as: 'approver' })).status).toBe(403);
    expect((await h.api('GET', `/api/v1/systems/${ids.decided}/timeline`, { as: 'auditor' })).status).toBe(200);
    expect((await h.api('GET', `/api/v1/systems/${randomUUID()}/timeline`, { as: 'lead' })).status).toBe(404);
  });
});

/** The value of one sample of the Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe('/metrics', () => {
  it('reports open, overdue, escalated and decided work from PostgreSQL as it stands at the scrape', async () => {
    const scraped = await fetch(h.metricsUrl);
    const [status, body, headers] = [scraped.status, await scraped.text(), scraped.headers];
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/plain/);
    // Served on its own listener only, never beside the api.
    expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(404);
    expect(sample(body, 'aims_metrics_database_up')).toBe(1);
    expect(sample(body, 'aims_tasks_open', { process: 'intake_triage', tier: 'low' })).toBe(2);
    expect(sample(body, 'aims_tasks_overdue', { process: 'intake_triage', tier: 'low' })).toBe(2);
    expect(sample(body, 'aims_tasks_open', { process: 'intake_triage', tier: 'high' })).toBe(0);
    expect(sample(body, 'aims_tasks_open_by_escalation_level', { level: '1' })).toBe(2);
    expect(sample(body, 'aims_tasks_open_by_escalation_level', { level: '0' })).toBeUndefined();
    expect(sample(body, 'aims_task_escalations_total', { level: '1' })).toBe(2);
    expect(sample(body, 'aims_decisions_total', { process: 'intake_triage', choice: 'accept' })).toBe(1);
    expect(sample(body, 'aims_time_to_decision_seconds_count', { process: 'intake_triage' })).toBe(1);
    const seconds = sample(body, 'aims_time_to_decision_seconds_sum', { process: 'intake_triage' });
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(60);
    expect(sample(body, 'aims_time_to_decision_seconds_bucket', { process: 'intake_triage', le: '60' })).toBe(1);
    expect(body).toContain('# TYPE aims_task_escalations_total counter');
    expect(body).toContain('# TYPE aims_time_to_decision_seconds histogram');

    // The counters read only what the trail gained since the last scrape: nothing is counted twice.
    const again = await (await fetch(h.metricsUrl)).text();
    expect(sample(again, 'aims_task_escalations_total', { level: '1' })).toBe(2);
    expect(sample(again, 'aims_decisions_total', { process: 'intake_triage', choice: 'accept' })).toBe(1);
    expect(sample(again, 'aims_time_to_decision_seconds_count', { process: 'intake_triage' })).toBe(1);
  });

  it('times API requests by route pattern and status, never by the raw URL', async () => {
    const count = (text: string, labels: Record<string, string>) => sample(text, 'aims_http_request_duration_seconds_count', labels) ?? 0;
    const routes = [
      { method: 'GET', route: '/actions/:token', status: '404' },
      { method: 'GET', route: '/api/v1/tasks/:id', status: '200' },
      // A 404 thrown inside the router keeps its route pattern, though Express restores baseUrl on the way out.
      { method: 'GET', route: '/api/v1/systems/:id', status: '404' },
      { method: 'GET', route: 'unmatched', status: '404' },
    ];
    const before = await (await fetch(h.metricsUrl)).text();
    const token = `secret-token-${randomUUID()}`;
    await h.api('GET', `/actions/${token}`, { as: null });
    await h.api('GET', `/api/v1/tasks/${overdueTaskIds[0]}`, { as: 'lead' });
    await h.api('GET', `/api/v1/systems/${randomUUID()}`, { as: 'lead' });
    await h.api('GET', '/api/v1/no-such-route', { as: 'lead' });
    const after = await (await fetch(h.metricsUrl)).text();
    expect(routes.map((labels) => count(after, labels) - count(before, labels))).toEqual([1, 1, 1, 1]);
    expect(count(after, { method: 'GET', route: '/api/v1/dashboard/overdue', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'aims_http_request_duration_seconds_bucket', { route: '/api/v1/tasks/:id', le: '+Inf', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(after).not.toContain(token);
    expect(after).not.toContain(overdueTaskIds[0]);
  });

  it('keeps one registry per app, so several apps in one process neither collide nor share counts', async () => {
    createApp(h.deps);
    const metrics = createMetrics(h.deps.pool);
    createApp(h.deps, metrics);
    const server = http.createServer(createMetricsApp(metrics));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const text = await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
      expect(sample(text, 'aims_tasks_open', { process: 'intake_triage', tier: 'low' })).toBe(2);
      expect(sample(text, 'aims_http_request_duration_seconds_count', { route: '/api/v1/tasks/:id' })).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('/openapi.json and /docs', () => {
  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const { status, body } = await h.api('GET', '/openapi.json', { as: null });
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const intake = body.paths['/api/v1/systems'].post.requestBody.content['application/json'].schema;
    expect(intake).toMatchObject({ type: 'object', additionalProperties: false });
    expect(intake.required).toEqual(expect.arrayContaining(['name', 'purpose', 'businessUnit', 'provenance', 'useCategory', 'affectedParties']));
    expect(intake.properties.useCategory.enum).toContain('hr_hiring');
    const overdue = body.paths['/api/v1/dashboard/overdue'].get;
    expect(overdue.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'limit', in: 'query', required: false, schema: expect.objectContaining({ maximum: 500, default: 50 }) }),
      ]),
    );
    expect(body.paths['/api/v1/tasks/{id}/decision'].post.parameters.map((p: { name: string }) => p.name)).toEqual(['id', 'Idempotency-Key']);
    expect(body.paths['/api/v1/systems/{id}/timeline'].get.responses['403'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('renders the operations as a page at /docs', async () => {
    const { status, body, headers } = await h.api('GET', '/docs', { as: null });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toMatch(/^text\/html/);
    expect(body).toContain('POST /api/v1/systems');
    expect(body).toContain('GET /api/v1/dashboard/overdue');
    expect(body).toContain('href="/openapi.json"');
  });
});
