import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiLogger } from '../api/logging';
import { workflowIds } from '../workflows/contracts';
import { sampleIntake, signInByEmail, spawnWorkerProcess, startHarness, submitActionForm, workerPolling, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

const apiLog: string[] = [];
let workerOutput = '';
let worker: ChildProcess | undefined;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ logger: createApiLogger('debug', { write: (line: string) => void apiLog.push(line) }) });
  h.usePolicy(triageOnlyPolicy);
  // The real worker entry point, talkative, so everything it would print in production is read here.
  await h.stopWorker();
  worker = spawnWorkerProcess(h, 'debug', ['ignore', 'pipe', 'pipe']);
  for (const stream of [worker.stdout!, worker.stderr!]) stream.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  await workerPolling(h, worker);
});
afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  await h?.stop();
});

const tokenOf = (link: string) => new URL(link).pathname.split('/')[2];

describe('the logs of a whole lifecycle', () => {
  it('hold no session id, API key, action token or sign-in token, yet say who did what', async () => {
    const secrets: Record<string, string> = {};
    for (const [id, person] of Object.entries(h.people)) secrets[`API key of ${id}`] = person.apiKey;

    // The lead signs in from an emailed link.
    const { link, browserCookie, sessionCookie: cookie } = await signInByEmail(h, 'lead');
    secrets['sign-in token'] = tokenOf(link);
    secrets['pre-sign-in cookie'] = decodeURIComponent(browserCookie.split('=')[1]);
    secrets['session id'] = decodeURIComponent(cookie.split('=')[1]);
    expect((await fetch(`${h.baseUrl}/tasks`, { headers: { cookie } })).status).toBe(200);

    // The owner files an intake with their API key; the lead accepts it from the emailed action link.
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Logged lifecycle' }) });
    expect(filed.status).toBe(202);
    const systemId = filed.body.systemId as string;
    const triageLink = (await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.endsWith(': Logged lifecycle'))).links[0];
    secrets['triage action token'] = tokenOf(triageLink);
    expect((await submitActionForm(triageLink, { choice: 'accept' })).status).toBe(200);
    await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();

    // A review asked for and attested through the API, and an incident reported from the same key.
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'owner', body: {} })).status).toBe(202);
    const attestation = await h.openTask(systemId, 'review_attestation');
    expect((await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'unchanged' } })).status).toBe(200);
    const attestationLink = (await h.mail.waitFor((m) => m.to.includes(h.people.owner.email) && m.links.some((link) => link.includes('/actions/')))).links.find(
      (link) => link.includes('/actions/'),
    )!;
    secrets['attestation action token'] = tokenOf(attestationLink);

    // Bodies are never logged, not even one that fails to parse.
    const password = 'hunter2-correct-horse';
    const garbled = await fetch(`${h.baseUrl}/api/v1/systems`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.people.owner.apiKey}`, 'content-type': 'application/json' },
      body: `{"password": "${password}",`,
    });
    expect(garbled.status).toBe(400);
    secrets['a password in a body'] = password;

    // The worker has been busy too: both outputs are read whole, once the logs of these requests are written.
    const apiText = apiLog.join('');
    expect(apiText).toContain('/actions/[token]');
    expect(apiText).toContain('/signin/[token]');
    expect(apiText).toMatch(/"principalId":"lead"/);
    expect(apiText).toMatch(/"principalId":"owner"/);
    expect(workerOutput.length).toBeGreaterThan(0);
    for (const [what, secret] of Object.entries(secrets)) {
      expect(apiText.includes(secret), `${what} in the api log`).toBe(false);
      expect(workerOutput.includes(secret), `${what} in the worker output`).toBe(false);
    }
  });
});
