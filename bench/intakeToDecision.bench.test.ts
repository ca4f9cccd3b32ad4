import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, type Harness } from '../tests/helpers/harness';
import { triageOnlyPolicy } from '../tests/helpers/policies';
import { workflowIds } from '../workflows/contracts';
import { percentiles } from './latencies';
import { approveUpdate, rawApprovalWorkflow } from './rawWorkflow';

/**
 * Intake to decision through aims-flow (API, workflows, PostgreSQL, SMTP) against raw Temporal doing
 * the same shape of work (start a workflow, send it one Update, wait for the result) on the same
 * dev server and machine. Reported as ratios, since absolute times depend on the machine.
 */
const rounds = Number(process.env.BENCH_ROUNDS ?? 40);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
/** B7: how long intakes keep coming, as fast as the platform takes them at `concurrency` in flight. */
const sustainedMinutes = Number(process.env.BENCH_SUSTAINED_MINUTES ?? 10);

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
  return { ...percentiles(latencies), perSecond: count / seconds };
}

/** Latencies of one part of a round: the Update or decision call alone, and the first email. */
const parts = { rawUpdate: [] as number[], decision: [] as number[], firstEmail: [] as number[] };
async function timed<T>(into: number[], call: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await call();
  into.push(performance.now() - t0);
  return result;
}

async function rawOnce(index: number) {
  const handle = await rawClient.workflow.start(rawApprovalWorkflow, { taskQueue: rawTaskQueue, workflowId: `raw-${Date.now()}-${index}` });
  await timed(parts.rawUpdate, () => handle.executeUpdate(approveUpdate, { args: ['accept'] }));
  await handle.result();
}

/**
 * The leads' side: a task shows as soon as it opens, as to a busy approver (one query every 10 ms for
 * every intake in flight, so that watching costs the database what one person's screen would, not
 * one query per intake), and the decision goes through the API.
 */
const awaitedTasks = new Map<string, (task: { id: string; subject_hash: string }) => void>();
let watching: Promise<void> | undefined;

async function watchForOpenTasks() {
  while (awaitedTasks.size) {
    const { rows } = await h.pool.query<{ id: string; system_id: string; subject_hash: string }>(
      "SELECT id, system_id, subject_hash FROM tasks WHERE system_id = ANY($1) AND status = 'open'",
      [[...awaitedTasks.keys()]],
    );
    for (const task of rows) {
      awaitedTasks.get(task.system_id)?.(task);
      awaitedTasks.delete(task.system_id);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  watching = undefined;
}

function openTaskOf(systemId: string) {
  const task = new Promise<{ id: string; subject_hash: string }>((resolve) => awaitedTasks.set(systemId, resolve));
  watching ??= watchForOpenTasks();
  return task;
}

/**
 * Filing to the lead's triage email in the SMTP receiver, waited for after the rounds, off their path.
 * A task decided before its email went out closes it unsent (nobody is asked to decide what is decided):
 * such a round is counted once its outbox says so, and every other round's email must arrive.
 */
const emailsAwaited: { systemId: Promise<string>; arrived: Promise<boolean> }[] = [];
let emailsUnsent = 0;

/**
 * Whether any email of the system's triage task left; undefined while its task is open with one still
 * to send. An email of a closed task that never left is unsent for good: moot, or its delivery dropped
 * with the task's workflow.
 */
async function anyTriageEmailSent(systemId: string): Promise<boolean | undefined> {
  const { rows } = await h.pool.query<{ emails: number; pending: boolean; sent: boolean }>(
    `SELECT count(*)::int AS emails, coalesce(bool_or(o.delivery IS NULL AND t.status = 'open'), false) AS pending,
            coalesce(bool_or(o.delivery = 'sent'), false) AS sent
       FROM outbox o JOIN tasks t ON t.id = o.task_id WHERE t.system_id = $1 AND t.kind = 'intake_triage'`,
    [systemId],
  );
  if (rows[0].emails === 0) throw new Error(`the triage of ${systemId} has no email at all`);
  return rows[0].pending ? undefined : rows[0].sent;
}

async function settleEmails() {
  for (const { systemId, arrived } of emailsAwaited.splice(0)) {
    const id = await systemId;
    if (!(await eventually(() => anyTriageEmailSent(id), 60_000))) emailsUnsent++;
    else expect(await arrived, `the triage email of ${id} arrived`).toBe(true);
  }
}

async function aimsFlowOnce(name: string, watchEmail = true) {
  const filing = h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  if (watchEmail) {
    const arrived = timed(parts.firstEmail, () => h.mail.waitFor((mail) => mail.subject.endsWith(`: ${name}`), 60_000)).then(
      () => true,
      () => false,
    );
    emailsAwaited.push({ systemId: filing.then((filed) => filed.body.systemId as string), arrived });
  }
  const systemId = (await filing).body.systemId;
  const task = await openTaskOf(systemId);
  const body = { decision: 'accept', snapshotHash: task.subject_hash };
  const decided = await timed(parts.decision, () => h.api('POST', `/api/v1/tasks/${task.id}/decision`, { as: 'lead', body }));
  expect(decided.body).toMatchObject({ choice: 'accept' });
  const outcome = await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
  expect(outcome.state).toBe('active');
}

it(`intake to decision: aims-flow against raw Temporal, ${rounds} rounds, ${concurrency} at a time`, async () => {
  await timeEach(4, 2, rawOnce);
  await timeEach(4, 2, (index) => aimsFlowOnce(`Bench warm-up ${index}`));
  await settleEmails();
  for (const part of Object.values(parts)) part.length = 0;
  emailsUnsent = 0;
  const raw = await timeEach(rounds, concurrency, rawOnce);
  const aims = await timeEach(rounds, concurrency, (index) => aimsFlowOnce(`Bench ${index}`));
  await settleEmails();
  const rawUpdate = percentiles(parts.rawUpdate);
  const decision = percentiles(parts.decision);
  const result = {
    measuredAt: new Date().toISOString(),
    rounds,
    concurrency,
    raw,
    aimsFlow: aims,
    ratios: { p50: aims.p50 / raw.p50, p95: aims.p95 / raw.p95, throughput: aims.perSecond / raw.perSecond },
    // B2: the decision call against raw executeUpdate; B3: filing to the first email, in ms.
    rawUpdate,
    decision,
    decisionRatios: { p50: decision.p50 / rawUpdate.p50, p95: decision.p95 / rawUpdate.p95 },
    firstEmail: { ...percentiles(parts.firstEmail), unsentBecauseDecidedFirst: emailsUnsent },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(__dirname, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
}, 600_000);

it(`sustained load: intakes to decision for ${sustainedMinutes} minutes, ${concurrency} at a time, none failed`, async () => {
  const started = performance.now();
  const until = started + sustainedMinutes * 60_000;
  const finished: { minute: number; latency: number }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await aimsFlowOnce(`Bench sustained ${next++}`, false);
        finished.push({ minute: Math.floor((performance.now() - started) / 60_000), latency: performance.now() - t0 });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const failedWorkflows = (await h.temporal.workflow.count(`TaskQueue = '${h.taskQueue}' AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`)).count;
  expect(failedWorkflows).toBe(0);
  const perMinute = Array.from({ length: Math.ceil(seconds / 60) }, (_, minute) => {
    const inMinute = finished.filter((round) => round.minute === minute).map((round) => round.latency);
    return { minute, intakes: inMinute.length, ...percentiles(inMinute) };
  }).filter((minute) => minute.intakes > 0);
  const result = {
    measuredAt: new Date().toISOString(),
    minutes: sustainedMinutes,
    concurrency,
    intakes: finished.length,
    perSecond: finished.length / seconds,
    failedWorkflows,
    perMinute,
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(__dirname, 'sustained-results.json'), `${JSON.stringify(result, null, 2)}\n`);
}, 3_600_000);
