import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, ScheduleOverlapPolicy, type ScheduleHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { syncReviewSchedule } from '../activities/lifecycle';
import { inTransaction } from '../db/pool';
import { insertSystem } from '../db/systems';
import { intakeRequestSchema } from '../domain/system';
import { eventually, sampleIntake, startHarness, type Harness } from '../tests/helpers/harness';
import { triageOnlyPolicy } from '../tests/helpers/policies';
import { scheduleIds } from '../workflows/contracts';
import { percentiles } from './latencies';
import { rawScheduledWorkflow } from './rawWorkflow';

/**
 * B6, schedule fan-out: every review schedule triggered at once, each run opening its attestation task,
 * against raw Temporal schedules each starting a workflow of one activity, on the same server in one run.
 * The systems are put in service directly in the database, with their real review schedules, so that
 * only the fan-out is measured.
 */
const schedules = Number(process.env.BENCH_SCHEDULES ?? 1000);
/** The client triggers this many schedules at a time: "at once", as far as one client's requests go. */
const triggering = 32;
const hour = 3_600_000;

let h: Harness;
let rawWorker: Worker;
let rawRunning: Promise<void>;
/** Raw Temporal as it comes: no payload codec, which aims-flow's own client and worker pay for. */
let rawClient: Client;
const rawTaskQueue = `bench-raw-schedules-${Date.now()}`;
/** When each raw run's activity ran, by its key (wall clock, as the database's task timestamps are). */
const rawOpenedAt = new Map<string, number>();

beforeAll(async () => {
  h = await startHarness();
  // Reviews an hour apart, so that no schedule fires by itself while the bench runs.
  h.usePolicy({ ...triageOnlyPolicy, review: { ...triageOnlyPolicy.review, intervalByTier: { ...triageOnlyPolicy.review.intervalByTier, low: '1h' } } });
  rawWorker = await Worker.create({
    connection: await NativeConnection.connect({ address: h.temporalAddress }),
    namespace: h.temporalNamespace,
    taskQueue: rawTaskQueue,
    workflowsPath: path.join(__dirname, 'rawWorkflow.ts'),
    activities: { openRawTask: async (key: string) => void rawOpenedAt.set(key, Date.now()) },
  });
  rawRunning = rawWorker.run();
  rawClient = new Client({ connection: h.temporal.connection, namespace: h.temporalNamespace });
}, 300_000);
afterAll(async () => {
  rawWorker?.shutdown();
  await rawRunning;
  await h?.stop();
});

async function inBatches<T, R>(items: T[], size: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) results.push(...(await Promise.all(items.slice(start, start + size).map(each))));
  return results;
}

const withMax = (latencies: number[]) => ({ ...percentiles(latencies), max: Math.max(...latencies) });

/** A low-tier system in service, with the review schedule activation gives it. */
async function systemInService(index: number): Promise<string> {
  const id = randomUUID();
  await inTransaction(h.pool, async (db) => {
    await insertSystem(db, {
      id,
      ownerId: h.people.owner.id,
      intake: intakeRequestSchema.parse(sampleIntake({ name: `Fan-out ${index}` })),
      policyVersion: h.deps.policy.version,
    });
    await db.query(`UPDATE ai_systems SET state = 'active', risk_tier = 'low', next_review_due = now() + interval '1 hour' WHERE id = $1`, [id]);
  });
  await syncReviewSchedule({ pool: h.pool, temporal: h.temporal, taskQueue: h.taskQueue }, id, h.deps.policy);
  return id;
}

async function rawSchedule(index: number): Promise<ScheduleHandle> {
  const key = `raw-${index}`;
  return rawClient.schedule.create({
    scheduleId: `bench-${rawTaskQueue}-${index}`,
    spec: { intervals: [{ every: hour }] },
    action: { type: 'startWorkflow', workflowType: rawScheduledWorkflow, workflowId: `bench-${rawTaskQueue}-${key}`, taskQueue: rawTaskQueue, args: [key] },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
  });
}

/** Triggers every schedule; answers when each was triggered, by key. */
async function triggerAll(handles: { key: string; handle: ScheduleHandle }[]): Promise<Map<string, number>> {
  const triggeredAt = new Map<string, number>();
  await inBatches(handles, triggering, async ({ key, handle }) => {
    triggeredAt.set(key, Date.now());
    await handle.trigger();
  });
  return triggeredAt;
}

async function reviewTasksOpenedAt(systemIds: string[]): Promise<Map<string, number> | undefined> {
  const { rows } = await h.pool.query<{ system_id: string; opened_at: Date }>(
    `SELECT system_id, min(opened_at) AS opened_at FROM tasks WHERE kind = 'review_attestation' AND system_id = ANY($1) GROUP BY system_id`,
    [systemIds],
  );
  return rows.length === systemIds.length ? new Map(rows.map((row) => [row.system_id, row.opened_at.getTime()])) : undefined;
}

const failedRuns = async (workflowType: string, taskQueue: string) =>
  (
    await h.temporal.workflow.count(
      `WorkflowType = '${workflowType}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`,
    )
  ).count;

it(`schedule fan-out: ${schedules} review schedules triggered at once, against raw Temporal schedules`, async () => {
  const raw = await inBatches(
    Array.from({ length: schedules }, (_, index) => index),
    triggering,
    async (index) => ({ key: `raw-${index}`, handle: await rawSchedule(index) }),
  );
  const rawTriggeredAt = await triggerAll(raw);
  await eventually(async () => (rawOpenedAt.size === schedules ? true : undefined), 600_000);
  const rawLatencies = [...rawTriggeredAt].map(([key, at]) => rawOpenedAt.get(key)! - at);
  await inBatches(raw, triggering, ({ handle }) => handle.delete());

  const systemIds = await inBatches(
    Array.from({ length: schedules }, (_, index) => index),
    8,
    systemInService,
  );
  const reviews = systemIds.map((systemId) => ({ key: systemId, handle: h.temporal.schedule.getHandle(scheduleIds.review(systemId)) }));
  const triggeredAt = await triggerAll(reviews);
  const openedAt = await eventually(() => reviewTasksOpenedAt(systemIds), 600_000);
  const latencies = systemIds.map((systemId) => openedAt.get(systemId)! - triggeredAt.get(systemId)!);
  await inBatches(reviews, triggering, ({ handle }) => handle.delete());

  const failed = { aimsFlow: await failedRuns('periodicReviewWorkflow', h.taskQueue), raw: await failedRuns('rawScheduledWorkflow', rawTaskQueue) };
  expect(failed).toEqual({ aimsFlow: 0, raw: 0 });
  const rawPercentiles = withMax(rawLatencies);
  const aimsPercentiles = withMax(latencies);
  const result = {
    measuredAt: new Date().toISOString(),
    schedules,
    raw: rawPercentiles,
    aimsFlow: aimsPercentiles,
    ratios: { p50: aimsPercentiles.p50 / rawPercentiles.p50, p95: aimsPercentiles.p95 / rawPercentiles.p95 },
    failed,
  };
  console.log(JSON.stringify(result, null, 2));
  await writeFile(path.join(__dirname, 'schedule-fan-out-results.json'), `${JSON.stringify(result, null, 2)}\n`);
}, 1_800_000);
