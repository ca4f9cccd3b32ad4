import { Client, Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { msToTs } from '@temporalio/common/lib/time';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { createPool } from '../db/pool';
import { calmPolicy } from './helpers/policies';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ withGovernanceLeadOwner: true });
});
afterAll(() => h?.stop());

async function openTriage(as: 'owner' | 'ownerAndLead' = 'owner', name = 'Error probe') {
  const filed = await h.api('POST', '/api/v1/systems', { as, body: sampleIntake({ name }) });
  expect(filed.status).toBe(202);
  return eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${filed.body.systemId}`, { as: 'lead' });
    return body.openTasks?.[0] as { id: string; assignees: { principalId: string }[] } | undefined;
  });
}

describe('authentication and authorisation', () => {
  it('answers 401 without a key or with an unknown key', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer afk_not-a-real-key-000000000000' }, { authorization: 'Basic abc' }];
    for (const headers of attempts) {
      const response = await h.api('GET', '/api/v1/tasks', { as: null, headers });
      expect(response.status).toBe(401);
      expect(response.body.error).toBe('unauthenticated');
    }
  });

  it('answers 403 to a role that may not file an intake', async () => {
    const response = await h.api('POST', '/api/v1/systems', { as: 'approver', body: sampleIntake() });
    expect(response.status).toBe(403);
    expect(response.body.message).toContain('system_owner');
  });

  it("answers 403 to a principal reading or deciding someone else's system and task", async () => {
    const task = await openTriage();
    const { body } = await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'lead' });
    expect((await h.api('GET', `/api/v1/systems/${body.task.systemId}`, { as: 'approver' })).status).toBe(403);
    expect((await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'approver' })).status).toBe(403);
    const decision = await h.decide(task.id, 'approver', 'accept');
    expect(decision.status).toBe(403);
    expect((await h.api('GET', `/api/v1/tasks?mine=false`, { as: 'approver' })).body.tasks).toEqual([]);
  });

  it('never lets the requester triage their own intake (segregation of duties)', async () => {
    const task = await openTriage('ownerAndLead', 'Own intake');
    expect(task.assignees.map((a) => a.principalId)).toEqual(['lead']);
    const response = await h.decide(task.id, 'ownerAndLead', 'accept');
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: 'segregation_of_duties', message: 'the requester and the system owner cannot decide this request' });
  });
});

describe('bad input', () => {
  it('answers 400 with a message per field, rejecting unknown fields', async () => {
    const response = await h.api('POST', '/api/v1/systems', {
      body: { ...sampleIntake(), name: '', provenance: 'stolen', affectedParties: [], shadowField: true },
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_input');
    expect(response.body.fields).toEqual({
      shadowField: ['is not a known field'],
      name: ['must not be empty'],
      provenance: [expect.stringContaining('in_house')],
      affectedParties: ['name at least one affected party'],
    });
  });

  it('answers 400 to malformed JSON, a bad Idempotency-Key and a bad query, and 413 to an oversized body', async () => {
    expect((await h.api('POST', '/api/v1/systems', { body: '{"name":', headers: { 'content-type': 'application/json' } })).body.error).toBe('invalid_json');
    const badKey = await h.api('POST', '/api/v1/systems', { body: sampleIntake(), headers: { 'idempotency-key': 'no spaces allowed' } });
    expect(badKey.status).toBe(400);
    expect(badKey.body.fields['Idempotency-Key']).toBeDefined();
    expect((await h.api('GET', '/api/v1/tasks?status=lost', { as: 'lead' })).status).toBe(400);
    const huge = await h.api('POST', '/api/v1/systems', { body: { ...sampleIntake(), purpose: 'x'.repeat(100_000) } });
    expect(huge.status).toBe(413);
  });

  it('answers 404 for unknown or malformed ids', async () => {
    expect((await h.api('GET', '/api/v1/systems/6f1c1c1e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await h.api('GET', '/api/v1/systems/not-a-uuid')).status).toBe(404);
    expect((await h.api('GET', '/api/v1/tasks/6f1c1c1e-0000-4000-8000-000000000000', { as: 'lead' })).status).toBe(404);
    const decision = await h.decide('6f1c1c1e-0000-4000-8000-000000000000', 'lead', 'accept');
    expect(decision.status).toBe(404);
  });

  it('answers 409 when the workflow refuses: not an assignee, a choice the task does not offer, a closed task', async () => {
    const task = await openTriage();
    const notAssignee = await h.decide(task.id, 'auditor', 'accept');
    expect(notAssignee.status).toBe(409);
    expect(notAssignee.body.error).toBe('not_assignee');
    const wrongChoice = await h.decide(task.id, 'lead', 'submit');
    expect(wrongChoice.status).toBe(409);
    expect(wrongChoice.body.error).toBe('choice_not_allowed');
    expect((await h.decide(task.id, 'lead', 'reject')).status).toBe(200);
    const closed = await h.decide(task.id, 'lead', 'accept');
    expect(closed.status).toBe(409);
    expect(closed.body.error).toBe('task_closed');
  });
});

describe('idempotent retries', () => {
  it('returns the same system for a retried intake and starts one process', async () => {
    const headers = { 'idempotency-key': 'intake-retry-0001' };
    const first = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Retried' }), headers });
    const second = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Retried' }), headers });
    expect(second.status).toBe(202);
    expect(second.body.systemId).toBe(first.body.systemId);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const reused = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Something else' }), headers });
    expect(reused.status).toBe(409);
    expect(reused.body.error).toBe('idempotency_key_reused');

    const otherOwner = await h.api('POST', '/api/v1/systems', { as: 'ownerAndLead', body: sampleIntake({ name: 'Retried' }), headers });
    expect(otherOwner.body.systemId).not.toBe(first.body.systemId);

    await eventually(async () => ((await h.api('GET', `/api/v1/systems/${first.body.systemId}`)).body.openTasks?.length ? true : undefined));
    const { rows } = await h.pool.query("SELECT count(*)::int AS n FROM ai_systems WHERE name = 'Retried'");
    expect(rows[0].n).toBe(2);
    const tasks = await h.api('GET', `/api/v1/systems/${first.body.systemId}`);
    expect(tasks.body.tasks).toHaveLength(1);
  });

  it('returns the first result for a retried decision, before and after the task closed', async () => {
    const task = await openTriage('owner', 'Decision retry');
    const headers = { 'idempotency-key': 'decision-retry-0001' };
    const decide = () => h.decide(task.id, 'lead', 'accept', { headers });
    const [first, concurrent] = await Promise.all([decide(), decide()]);
    expect(first.body).toEqual({ taskId: task.id, choice: 'accept', onBehalfOf: null, taskStatus: 'decided' });
    expect(concurrent.body).toEqual(first.body);
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'lead' })).body.task.status === 'decided' ? true : undefined));
    const afterClose = await decide();
    expect(afterClose.status).toBe(200);
    expect(afterClose.body.choice).toBe('accept');
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM decisions WHERE task_id = $1', [task.id]);
    expect(rows[0].n).toBe(1);
  });
});

describe('dependencies down', () => {
  it('answers 503 when Temporal is unreachable, having written nothing', async () => {
    const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }) });
    const app = createApp({ ...h.deps, temporal, policy: h.preparePolicy(calmPolicy), temporalDeadlineMs: 1_500 });
    const server = app.listen(0);
    const port = (server.address() as { port: number }).port;
    try {
      const started = Date.now();
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/systems`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.people.owner.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(sampleIntake({ name: 'Never written' })),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: string }).error).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      const { rows } = await h.pool.query("SELECT count(*)::int AS n FROM ai_systems WHERE name = 'Never written'");
      expect(rows[0].n).toBe(0);
    } finally {
      server.close();
    }
  });

  it('is ready only on a namespace that has every search attribute the workflows set', async () => {
    const ready = await fetch(`${h.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ postgres: 'up', temporal: 'up', namespace: 'ready' });

    const bare = `aims-flow-bare-${randomBytes(4).toString('hex')}`;
    await h.temporal.connection.workflowService.registerNamespace({ namespace: bare, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const app = createApp({ ...h.deps, temporal: new Client({ connection: h.temporal.connection, namespace: bare }) });
    const server = app.listen(0);
    const port = (server.address() as { port: number }).port;
    try {
      // A namespace just registered may take a moment to be found; until then it is not ready either.
      const body = await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        const checks = (await response.json()) as { namespace: string };
        return checks.namespace.startsWith('missing') ? { status: response.status, checks } : undefined;
      });
      expect(body).toEqual({
        status: 503,
        checks: { postgres: 'up', temporal: 'up', namespace: 'missing search attributes: AimsSystemId, AimsProcess, AimsTier, AimsState' },
      });
    } finally {
      server.close();
    }
  });

  it('answers 503 when PostgreSQL is unreachable', async () => {
    const pool = createPool('postgres://postgres@127.0.0.1:1/nothing');
    const app = createApp({ ...h.deps, pool, logger: pino({ level: 'silent' }) });
    const server = app.listen(0);
    const port = (server.address() as { port: number }).port;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/tasks`, { headers: { authorization: `Bearer ${h.people.lead.apiKey}` } });
      expect(response.status).toBe(503);
    } finally {
      server.close();
      await pool.end();
    }
  });
});
