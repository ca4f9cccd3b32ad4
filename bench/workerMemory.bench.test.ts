import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, sampleIntake, spawnWorkerProcess, startHarness, workerPolling, type Harness } from '../tests/helpers/harness';
import type { PolicyInput } from '../domain/policy';
import { triageOnlyPolicy } from '../tests/helpers/policies';
import { decisionQuery, rawApprovalWorkflow } from './rawWorkflow';

/**
 * Worker memory with many lifecycles waiting on people (issue 11, B5): aims-flow's worker process
 * (worker/main.ts) holding intakes that wait on their triage decision, against raw Temporal's worker
 * process holding as many workflows waiting on their one Update. Each worker runs alone in its own
 * process, so its resident set size is its own. Reported per waiting workflow and as a ratio.
 */
const waiting = Number(process.env.BENCH_WAITING ?? 1000);
/** Both workers' workflow cache; by default every waiting workflow fits, so each one's cost shows. */
const cacheSize = Number(process.env.BENCH_CACHED_WORKFLOWS ?? 2 * waiting + 100);
/** Then, when set, RSS is read again after this many minutes of the waiting tasks' reminders firing. */
const driftMinutes = Number(process.env.BENCH_DRIFT_MINUTES ?? 0);
const concurrency = 8;

/** Triage only; with a drift phase, the triage falls due after it and reminds four times during it. */
function benchPolicy(): PolicyInput {
  if (!driftMinutes) return triageOnlyPolicy;
  const due = `${driftMinutes * 75}s`;
  const triage = {
    ...triageOnlyPolicy.tasks.intake_triage,
    slaByTier: { low: due, medium: due, high: due, prohibited: due },
    reminderPoints: [0.16, 0.32, 0.48, 0.64],
  };
  return { ...triageOnlyPolicy, tasks: { ...triageOnlyPolicy.tasks, intake_triage: triage } };
}

let h: Harness;
let aimsWorker: ChildProcess;
let rawWorker: ChildProcess;
let rawClient: Client;
const rawTaskQueue = `bench-raw-memory-${Date.now()}`;

beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(benchPolicy());
  await h.stopWorker();
  process.env.WORKER_MAX_CACHED_WORKFLOWS = String(cacheSize);
  aimsWorker = spawnWorkerProcess(h, 'warn', ['ignore', 'ignore', 'inherit']);
  const bundle = await bundleWorkflowCode({ workflowsPath: path.join(__dirname, 'rawWorkflow.ts'), logger: silent });
  const rawBundle = path.join(await mkdtemp(path.join(tmpdir(), 'aims-flow-raw-bundle-')), 'raw.js');
  await writeFile(rawBundle, bundle.code);
  rawWorker = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'rawWorker.ts')], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: h.temporalAddress,
      TEMPORAL_NAMESPACE: h.temporalNamespace,
      TEMPORAL_TASK_QUEUE: rawTaskQueue,
      RAW_WORKFLOW_BUNDLE: rawBundle,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  rawClient = new Client({ connection: h.temporal.connection, namespace: h.temporalNamespace });
  await workerPolling(h, aimsWorker);
}, 180_000);
afterAll(async () => {
  for (const child of [aimsWorker, rawWorker]) child?.kill('SIGTERM');
  await h?.stop();
});

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

async function residentMegabytes(child: ChildProcess): Promise<number> {
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** The resident set once it stops moving: read every second until two reads differ by under 1 %, at most 30 s. */
async function settledMegabytes(child: ChildProcess): Promise<number> {
  let previous = await residentMegabytes(child);
  for (let second = 0; second < 30; second++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = await residentMegabytes(child);
    if (Math.abs(now - previous) < previous * 0.01) return now;
    previous = now;
  }
  return previous;
}

async function inParallel(count: number, one: (index: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await one(next++);
    }),
  );
}

async function openTriageTasks(): Promise<number> {
  const { rows } = await h.pool.query<{ count: string }>("SELECT count(*) FROM tasks WHERE kind = 'intake_triage' AND status = 'open'");
  return Number(rows[0].count);
}

/** Files intakes until `total` wait on their triage decision: the intake and its triage task, two workflows each. */
async function aimsFlowWaiting(from: number, total: number) {
  await inParallel(total - from, async (index) => {
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: `Waiting ${from + index}` }) });
    expect(filed.status).toBe(202);
  });
  await eventually(async () => ((await openTriageTasks()) >= total ? true : undefined), 600_000);
}

/** Starts raw workflows until `total` wait on their Update; a query answered by the worker shows each is loaded. */
async function rawWaiting(from: number, total: number) {
  await inParallel(total - from, async (index) => {
    const handle = await rawClient.workflow.start(rawApprovalWorkflow, { taskQueue: rawTaskQueue, workflowId: `${rawTaskQueue}-${from + index}` });
    expect(await handle.query(decisionQuery)).toBeUndefined();
  });
}

/** aims-flow's worker RSS over the drift phase, read each minute while the reminders fire. */
async function rssDrift() {
  const start = await residentMegabytes(aimsWorker);
  const remindersBefore = h.mail.messages.length;
  const readings = [start];
  for (let minute = 1; minute <= driftMinutes; minute++) {
    await new Promise((resolve) => setTimeout(resolve, 60_000));
    readings.push(await residentMegabytes(aimsWorker));
  }
  const end = readings[readings.length - 1];
  return { minutes: driftMinutes, emailsSent: h.mail.messages.length - remindersBefore, readingsMB: readings, driftRatio: (end - start) / start };
}

it(`worker memory: ${waiting} lifecycles waiting on people, aims-flow against raw Temporal`, async () => {
  const warmUp = 20;
  await aimsFlowWaiting(0, warmUp);
  await rawWaiting(0, warmUp);
  const aimsBefore = await settledMegabytes(aimsWorker);
  const rawBefore = await settledMegabytes(rawWorker);
  await aimsFlowWaiting(warmUp, warmUp + waiting);
  await rawWaiting(warmUp, warmUp + waiting);
  const aimsAfter = await settledMegabytes(aimsWorker);
  const rawAfter = await settledMegabytes(rawWorker);
  const drift = driftMinutes ? await rssDrift() : undefined;
  const aimsPerWorkflow = (aimsAfter - aimsBefore) / (2 * waiting);
  const rawPerWorkflow = (rawAfter - rawBefore) / waiting;
  const result = {
    measuredAt: new Date().toISOString(),
    waiting,
    cachedWorkflows: cacheSize,
    ...(drift && { drift }),
    aimsFlow: { rssBeforeMB: aimsBefore, rssAfterMB: aimsAfter, perLifecycleMB: 2 * aimsPerWorkflow, perWorkflowMB: aimsPerWorkflow },
    raw: { rssBeforeMB: rawBefore, rssAfterMB: rawAfter, perWorkflowMB: rawPerWorkflow },
    ratios: { perWorkflow: aimsPerWorkflow / rawPerWorkflow },
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(__dirname, driftMinutes ? 'memory-drift-results.json' : 'memory-results.json'), `${JSON.stringify(result, null, 2)}\n`);
}, 1_800_000);
