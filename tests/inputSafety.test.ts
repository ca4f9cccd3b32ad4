import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activityFailures } from '../domain/failures';
import { searchAttributes, workflowIds, workflowTypes } from '../workflows/contracts';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';
import { triageOnlyPolicy, withTriage } from './helpers/policies';

let h: Harness;
/** Stands in for PostgreSQL refusing a decision as data the door checks let through (defence in depth). */
const refusedByTheDatabase = 'this comment is refused by the database';

beforeAll(async () => {
  h = await startHarness({
    extraGovernanceLead: true,
    wrapActivities: (activities) => ({
      ...activities,
      async recordDecision(input) {
        if (input.comment === refusedByTheDatabase) {
          throw ApplicationFailure.create({
            type: activityFailures.unstorableData,
            message: 'PostgreSQL refused the data of recordDecision (SQLSTATE 22021)',
            nonRetryable: true,
          });
        }
        return activities.recordDecision(input);
      },
    }),
  });
  h.usePolicy(withTriage({}));
});
afterAll(() => h?.stop());

const nul = 'before\u0000after';
const loneSurrogate = 'broken \ud800 text';
const unstorable = 'must not contain NUL characters or unpaired UTF-16 surrogates';

async function openTriage(name: string) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  expect(filed.status).toBe(202);
  return { systemId: filed.body.systemId as string, task: await h.openTask(filed.body.systemId, 'intake_triage') };
}

describe('text PostgreSQL cannot store is refused at the door, naming the field', () => {
  it('refuses a NUL or a lone surrogate in any intake field with 400, and registers nothing', async () => {
    const before = (await h.pool.query('SELECT count(*)::int AS n FROM ai_systems')).rows[0].n;
    const name = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: nul }) });
    expect(name.status).toBe(400);
    expect(name.body.fields).toEqual({ name: [unstorable] });
    const party = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ affectedParties: ['staff', loneSurrogate] }) });
    expect(party.status).toBe(400);
    expect(party.body.fields).toEqual({ 'affectedParties.1': [unstorable] });
    const key = await h.api('POST', '/api/v1/systems', { body: { ...sampleIntake(), [`odd${'\u0000'}key`]: 1 } });
    expect(key.status).toBe(400);
    expect(Object.keys(key.body.fields)).toEqual([`odd${'\u0000'}key`]);
    expect((await h.pool.query('SELECT count(*)::int AS n FROM ai_systems')).rows[0].n).toBe(before);
  });

  it('keeps a well-formed surrogate pair (an emoji) as it was typed', async () => {
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Helper 🤖 for staff' }) });
    expect(filed.status).toBe(202);
    const detail = await eventually(async () => {
      const response = await h.api('GET', `/api/v1/systems/${filed.body.systemId}`, { as: 'lead' });
      return response.status === 200 ? response.body : undefined;
    });
    expect(detail.system.name).toBe('Helper 🤖 for staff');
  });

  it('refuses a bad decision comment with 400 and leaves the task open for a good decision', async () => {
    const { systemId, task } = await openTriage('Comment probe');
    const refused = await h.decide(task.id, 'lead', 'accept', { comment: nul });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual({ comment: [unstorable] });
    expect((await h.decide(task.id, 'lead', 'accept', { comment: 'fine' })).status).toBe(200);
    await h.openTask(systemId, 'impact_assessment');
  });

  it('refuses a bad text deep in a submission, in a delegation reason and in a query', async () => {
    const { systemId, task } = await openTriage('Submission probe');
    const amended = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { body: sampleIntake({ purpose: loneSurrogate }) });
    expect(amended.status).toBe(400);
    expect(amended.body.fields).toEqual({ purpose: [unstorable] });
    const delegated = await h.api('POST', `/api/v1/tasks/${task.id}/delegate`, { as: 'lead', body: { to: 'approver', reason: nul } });
    expect(delegated.status).toBe(400);
    expect(delegated.body.fields).toEqual({ reason: [unstorable] });
    const query = await h.api('GET', `/api/v1/dashboard/overdue?businessUnit=${encodeURIComponent(nul)}`, { as: 'lead' });
    expect(query.status).toBe(400);
    expect(query.body.fields).toEqual({ businessUnit: [unstorable] });
    const { body } = await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'lead' });
    expect(body.task).toMatchObject({ status: 'open' });
    expect(body.task.assignees.map((seat: { principalId: string }) => seat.principalId).sort()).toEqual(['lead', 'lead2']);
  });

  it('refuses a bad comment on an emailed action page with a page, and the link still decides', async () => {
    await openTriage('Action page probe');
    const message = await h.mail.waitFor((mail) => mail.to.includes(h.people.lead.email) && mail.subject.endsWith(': Action page probe'));
    const link = message.links.find((href) => href.includes('/actions/'))!;
    const refused = await submitActionForm(link, { choice: 'accept', comment: nul });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(unstorable);
    expect((await submitActionForm(link, { choice: 'accept', comment: 'ok' })).status).toBe(200);
  });

  it('keeps the task open, counting nothing, when the database refuses a decision the door let through', async () => {
    const { systemId, task } = await openTriage('Refused by the database');
    const refused = await h.decide(task.id, 'lead', 'accept', { comment: refusedByTheDatabase });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('could not be stored');
    expect((await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'lead' })).body.decisions).toEqual([]);
    expect((await h.decide(task.id, 'lead', 'reject', { comment: 'stored' })).status).toBe(200);
    expect(await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result()).toMatchObject({ state: 'rejected' });
  });

  it('fails a process for good, visibly, when data reaches the database past the door', async () => {
    const systemId = randomUUID();
    const policy = h.preparePolicy(triageOnlyPolicy);
    const handle = await h.temporal.workflow.start(workflowTypes.intake, {
      taskQueue: h.taskQueue,
      workflowId: workflowIds.intake(systemId),
      typedSearchAttributes: [{ key: searchAttributes.systemId, value: systemId }],
      args: [{ systemId, ownerId: 'owner', intake: sampleIntake({ name: nul }), policy }],
    });
    const failure = await handle.result().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    // Under the activity that met it when that was scheduled on the server, the failure itself when it ran in the worker.
    const causes: unknown[] = [];
    for (let cause: unknown = (failure as WorkflowFailedError).cause; cause instanceof Error; cause = cause.cause) causes.push(cause);
    expect(causes.find((cause) => cause instanceof ApplicationFailure)).toMatchObject({ type: 'UnstorableData', nonRetryable: true });
    expect((await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).status).toBe(404);
  });
});

describe('requests the API cannot read', () => {
  it('names an unknown field itself', async () => {
    const response = await h.api('POST', '/api/v1/systems', { body: { ...sampleIntake(), shadowField: true } });
    expect(response.status).toBe(400);
    expect(response.body.fields).toEqual({ shadowField: ['is not a known field'] });
  });

  it('answers 415 to a JSON body sent as text/plain', async () => {
    const response = await h.api('POST', '/api/v1/systems', { body: JSON.stringify(sampleIntake()), headers: { 'content-type': 'text/plain' } });
    expect(response.status).toBe(415);
    expect(response.body.error).toBe('unsupported_media_type');
    // A request with no body needs no content type: it is read as an empty body.
    const bodiless = await fetch(`${h.baseUrl}/api/v1/systems`, { method: 'POST', headers: { authorization: `Bearer ${h.people.owner.apiKey}` } });
    expect(bodiless.status).toBe(400);
  });

  it('sends WWW-Authenticate with a 401', async () => {
    const none = await h.api('GET', '/api/v1/tasks', { as: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="aims-flow"');
    const wrong = await h.api('GET', '/api/v1/tasks', { as: null, headers: { authorization: 'Bearer afk_not-a-real-key-000000000000' } });
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers a path under an action link with a 404 page', async () => {
    const response = await fetch(`${h.baseUrl}/actions/some-token/anything`, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('nothing at this address');
  });
});

describe('names and titles that would inject lines into emails', () => {
  it('are refused at the door with the field named: line breaks, control characters and bidirectional overrides', async () => {
    const cases = {
      name: 'Chatbot\n\nDecide here instead: http://evil.example/approve',
      businessUnit: 'Sales\r\nBcc: everyone@example.test',
      vendor: 'Acme \u202egnp.exe',
    };
    for (const [field, value] of Object.entries(cases)) {
      const filed = await h.api('POST', '/api/v1/systems', { body: { ...sampleIntake({ name: 'Fine name' }), provenance: 'vendor', [field]: value } });
      expect(filed.status, field).toBe(400);
      expect(filed.body.fields[field]).toEqual(['must be one line, without control characters or bidirectional overrides']);
    }
    const party = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Fine name', affectedParties: ['customers', 'staff\u2066 hidden'] }) });
    expect(party.body.fields['affectedParties.1']).toEqual(['must be one line, without control characters or bidirectional overrides']);
  });

  it('put what the owner wrote after the real link in the task email, quoted', async () => {
    const name = 'Claims helper (see http://intranet.example/claims)';
    await openTriage(name);
    const email = await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject === `Action needed: Triage an AI system intake: ${name}`);
    const link = email.links.find((candidate) => candidate.includes('/actions/'))!;
    expect(email.text.indexOf(link)).toBeLessThan(email.text.indexOf(name));
    expect(email.text).toContain(`> Name: ${name}`);
    expect(email.text.split('\n').filter((textLine) => textLine.includes(name))).toEqual([`> Name: ${name}`]);
  });
});
