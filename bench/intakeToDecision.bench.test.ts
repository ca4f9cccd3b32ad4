import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleIntake, startHarness, type Harness } from '../tests/helpers/harness';
import { triageOnlyPolicy } from '../tests/helpers/policies';
import { workflowIds } from '../workflows/contracts';
import { approveUpdate, rawApprovalWorkflow } from './rawWorkflow';

/**
 * Intake to decision through aims-flow (API, workflows, PostgreSQL, SMTP) against raw Temporal doing
 * the same shape of work (start a workflow, send it one Update, wait for the result) on the same
 * dev server and machine. Reported as ratios, since absolute times depend on the machine.
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);

let h: Harness;
let rawWorker: Worker;
/** Raw Temporal as it comes: no payload codec, which aims-flow's own client and worker pay for. */
let rawClient: Client;
let rawRunning: Promise<void>;
const rawTaskQueue = `bench-raw-${Date.now()}`;

beforeAll(async () => {
  h = await startHarness();
  // Intake to decision only: the accepted system moves on without an impact assessment.
  h.usePolicy(triageOnlyPolicy);
  rawWorker = await Worker.create({
    connection: await NativeConnection.connect({ address: h.temporalAddress }),
    namespace: h.temporalNamespace,
    taskQueue: rawTaskQueue,
    workflowsPath: path.join(__dirname, 'rawWorkflow.ts'),
  });
  rawRunning = rawWorker.run();
  rawClient = new Client({ connection: h.temporal.connection, namespace: h.temporalNamespace });
});
afterAll(async () => {
  rawWorker?.shutdown();
  await rawRunning;
  await h?.stop();
});

async function timeEach(count: number, parallel: number, one: (index: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        const index = next++;
        const t0 = performance.now();
        await one(index);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { p50: pct(0.5), p95: pct(0.95), perSecond: count / seconds };
}

async function rawOnce(index: number) {
  const handle = await rawClient.workflow.start(rawApprovalWorkflow, { taskQueue: rawTaskQueue, workflowId: `raw-${Date.now()}-${index}` });
  await handle.executeUpdate(approveUpdate, { args: ['accept'] });
  await handle.result();
}

/** The lead's side: the task appears (polled in PostgreSQL every 10 ms, like a busy approver), the decision goes through the API. */
async function aimsFlowOnce(index: number) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: `Bench ${index}` }) });
  const systemId = filed.body.systemId;
  let task: { id: string; subject_hash: string } | undefined;
  while (!task) {
    [task] = (await h.pool.query("SELECT id, subject_hash FROM tasks WHERE system_id = $1 AND status = 'open'", [systemId])).rows;
    if (!task) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const decided = await h.api('POST', `/api/v1/tasks/${task.id}/decision`, { as: 'lead', body: { decision: 'accept', snapshotHash: task.subject_hash } });
  expect(decided.body).toMatchObject({ choice: 'accept' });
  const outcome = await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
  expect(outcome.state).toBe('active');
}

it(`intake to decision: aims-flow against raw Temporal, ${rounds} rounds, ${concurrency} at a time`, async () => {
  await timeEach(4, 2, rawOnce);
  await timeEach(4, 2, aimsFlowOnce);
  const raw = await timeEach(rounds, concurrency, rawOnce);
  const aims = await timeEach(rounds, concurrency, aimsFlowOnce);
  const result = {
    measuredAt: new Date().toISOString(),
    rounds,
    concurrency,
    raw,
    aimsFlow: aims,
    ratios: { p50: aims.p50 / raw.p50, p95: aims.p95 / raw.p95, throughput: aims.perSecond / raw.perSecond },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
}, 600_000);
