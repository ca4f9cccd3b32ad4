import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, spawnWorkerProcess, startHarness, type Harness } from './helpers/harness';

let h: Harness;
const spawned: ChildProcess[] = [];
beforeAll(async () => {
  h = await startHarness();
  await h.stopWorker();
});
afterAll(async () => {
  // Also when the test fails or times out midway: no worker process may outlive the suite.
  for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await h?.stop();
});

function startWorkerProcess(): ChildProcess {
  const child = spawnWorkerProcess(h, 'warn', ['ignore', 'ignore', 'inherit']);
  spawned.push(child);
  return child;
}

describe('a worker killed while a task waits', () => {
  it('loses nothing: after a new worker starts, the decision completes the intake', async () => {
    const first = startWorkerProcess();
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Survivor' }) });
    const systemId = filed.body.systemId;
    const task = await eventually(async () => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.openTasks?.[0], 60_000);
    const email = await h.mail.waitFor((m) => m.subject.endsWith(': Survivor'));

    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    const retryableDecision = () => h.decide(task.id, 'lead', 'accept', { headers: { 'idempotency-key': 'after-the-crash-1' } });
    const decision = retryableDecision();
    const second = startWorkerProcess();
    try {
      let response = await decision;
      // With no worker the api gives up after its Temporal deadline; the client retries with the same key.
      while (response.status === 503) {
        response = await retryableDecision();
      }
      expect(response.status).toBe(200);
      await eventually(async () => ((await h.api('GET', `/api/v1/systems/${systemId}`)).body.system.state === 'assessment' ? true : undefined), 40_000);
      expect(h.mail.messages.filter((m) => m.messageId === email.messageId)).toHaveLength(1);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
  });
});
