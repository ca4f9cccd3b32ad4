import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { expect, inject } from 'vitest';
import { createApp } from '../../api/app';
import { isDependencyUnavailable } from '../../api/errors';
import { ensureServiceLogin } from '../../db/migrate';
import { createPool, type Pool } from '../../db/pool';
import type { PolicyInput } from '../../domain/policy';
import { workflowIds } from '../../workflows/contracts';
import { dropRole } from '../helpers/globalSetup';
import type { CaughtMail } from '../../scripts/mailCatcher';
import { callApi, eventually, sampleIntake, startHarness, type ApiResponse, type CastMember, type Harness } from '../helpers/harness';

const root = path.join(__dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * The platform as it runs in production, with a real fault proxy (toxiproxy) between it and each
 * dependency: worker processes from worker/main.ts and an api whose PostgreSQL pool, Temporal
 * connection and mail all pass through a proxy a test can cut. The harness underneath gives the
 * database, the people, the mail catcher and a direct Temporal client for checking what happened.
 */
export interface FaultPlatform {
  h: Harness;
  baseUrl: string;
  proxies: { postgres: Proxy; temporal: Proxy; smtp: Proxy };
  /** The api's own pool, through the PostgreSQL proxy. */
  apiPool: Pool;
  workers: WorkerProcess[];
  api<T = any>(method: string, path: string, options?: { as?: CastMember; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  startWorker(): WorkerProcess;
  kill(worker: WorkerProcess, signal?: NodeJS.Signals): Promise<void>;
  /** Cuts every connection through the proxy and refuses new ones, until restored. */
  cut(proxy: Proxy): Promise<void>;
  restore(proxy: Proxy): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startToxiproxy(): Promise<{ toxiproxy: Toxiproxy; process: ChildProcess }> {
  const binary = execFileSync('bash', [path.join(root, 'scripts/toxiproxy.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const port = await freePort();
  const child = spawn(binary, ['-host', '127.0.0.1', '-port', String(port)], { stdio: 'ignore' });
  const toxiproxy = new Toxiproxy(`http://127.0.0.1:${port}`);
  await eventually(
    async () =>
      await toxiproxy
        .getVersion()
        .then(() => true)
        .catch(() => undefined),
  );
  return { toxiproxy, process: child };
}

export async function startFaultPlatform(options: { policy: PolicyInput; temporalDeadlineMs?: number }): Promise<FaultPlatform> {
  const h = await startHarness({ extraGovernanceLead: true });
  await h.stopWorker();
  h.usePolicy(options.policy);
  const { toxiproxy, process: toxiproxyProcess } = await startToxiproxy();
  const proxy = (name: string, upstream: string) => toxiproxy.createProxy({ name, listen: '127.0.0.1:0', upstream });
  const proxies = {
    postgres: await proxy('postgres', '127.0.0.1:5432'),
    temporal: await proxy('temporal', h.temporalAddress),
    smtp: await proxy('smtp', `127.0.0.1:${h.mail.smtpPort}`),
  };
  // The api and the workers log in as production's least-privilege role, through the proxy.
  const databaseUrl = new URL(h.databaseUrl);
  databaseUrl.host = proxies.postgres.listen;
  databaseUrl.username = `aims_flow_svc_${randomBytes(4).toString('hex')}`;
  const serviceLogin = await ensureServiceLogin(h.pool, databaseUrl.toString());
  // The workers' background verifier writes checkpoints as its own login, as in production.
  const verifierUrl = new URL(databaseUrl);
  verifierUrl.username = `aims_flow_verifier_${randomBytes(4).toString('hex')}`;
  const verifierLogin = await ensureServiceLogin(h.pool, verifierUrl.toString(), 'aims_flow_verifier');

  // The api under test, in this process: everything it reaches goes through the proxies.
  const apiPool = createPool(databaseUrl.toString());
  const apiTemporal = new Client({
    connection: Connection.lazy({ address: proxies.temporal.listen }),
    namespace: h.temporalNamespace,
    dataConverter: h.temporal.options.dataConverter,
  });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // What the api logs at error level (every 500, with its error id) is kept beside the run's artifacts.
  const logger = pino(
    { level: 'error' },
    pino.destination({ dest: path.join(root, 'test-artifacts', `faults-api-${h.taskQueue}.log`), mkdir: true, sync: true }),
  );
  server.on(
    'request',
    createApp({
      ...h.deps,
      logger,
      pool: apiPool,
      temporal: apiTemporal,
      publicBaseUrl: baseUrl,
      temporalDeadlineMs: options.temporalDeadlineMs ?? h.deps.temporalDeadlineMs,
    }),
  );

  const scratch = await mkdtemp(path.join(tmpdir(), 'aims-flow-faults-'));
  const policyFile = path.join(scratch, 'policy.json');
  await writeFile(policyFile, JSON.stringify(options.policy));
  const workerEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl.toString(),
    AUDIT_DATABASE_URL: verifierUrl.toString(),
    TEMPORAL_ADDRESS: proxies.temporal.listen,
    TEMPORAL_NAMESPACE: h.temporalNamespace,
    TEMPORAL_TASK_QUEUE: h.taskQueue,
    SMTP_URL: `smtp://${proxies.smtp.listen}`,
    PUBLIC_BASE_URL: baseUrl,
    POLICY_FILE: policyFile,
    COMMAND_PUBLIC_KEY: h.deps.commandSigner.publicKey,
    AUDIT_SIGNING_KEY_FILE: h.auditSigningKeyFile,
    ...(h.payloadKeyFile && { PAYLOAD_ENCRYPTION_KEY_FILE: h.payloadKeyFile }),
    WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    LOG_LEVEL: 'error',
  };

  const workers: WorkerProcess[] = [];
  const platform: FaultPlatform = {
    h,
    baseUrl,
    proxies,
    apiPool,
    workers,
    api: (method, route, options) => callApi(baseUrl, h.people, method, route, options),
    startWorker() {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker/main.ts')], { env: workerEnv, stdio: ['ignore', 'ignore', 'inherit'] });
      const worker = { child, exited: new Promise<void>((resolve) => child.once('exit', () => resolve())) };
      workers.push(worker);
      return worker;
    },
    async kill(worker, signal = 'SIGKILL') {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
      await worker.exited;
    },
    async cut(target) {
      await target.update({ enabled: false, listen: target.listen, upstream: target.upstream });
    },
    async restore(target) {
      await target.update({ enabled: true, listen: target.listen, upstream: target.upstream });
    },
    async stop() {
      await Promise.all(workers.map((worker) => platform.kill(worker)));
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await Promise.all([apiPool.end(), apiTemporal.connection.close()]);
      toxiproxyProcess.kill('SIGKILL');
      await h.stop();
      await dropRole(serviceLogin);
      await dropRole(verifierLogin);
    },
  };
  return platform;
}

/** A request retried with the same Idempotency-Key while a dependency is down, as a client following the 503 would. */
export async function untilAccepted(
  send: (key: string) => Promise<ApiResponse>,
  isDone: (response: ApiResponse) => boolean,
  timeoutMs = 180_000,
): Promise<ApiResponse> {
  const key = `faults-${randomUUID()}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await send(key).catch((error: unknown) => ({ status: 0, body: String(error), headers: new Headers() }));
    if (isDone(response)) return response;
    if (response.status !== 503 && response.status !== 0) throw new Error(`answered ${response.status}, not 503: ${JSON.stringify(response.body)}`);
    if (Date.now() > deadline) throw new Error(`not accepted within ${timeoutMs} ms; last answer ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The count check that ends every scenario, in the manner of Temporal's own load tools: every request
 * accepted has its workflow, its row and its audit events; every email that left arrived (one whose task
 * closed first is not sent), and none twice; the audit chain verifies.
 *
 * SMTP has no exactly-once: a worker killed between the mail server's acceptance and the commit that
 * records it (activities/notifications.ts keeps that to one round trip) re-sends the identical message
 * with the same Message-ID, which mail clients show once. `resendsAtMost` allows that many such keys in a
 * scenario that kills workers, each received at most twice and the same but for its link; elsewhere 0.
 */
export async function expectNothingLost(p: FaultPlatform, accepted: { systemIds: string[]; resendsAtMost?: number }): Promise<{ resent: number }> {
  const { h } = p;
  const { rows: systems } = await h.pool.query<{ id: string }>('SELECT id FROM ai_systems ORDER BY id');
  expect(systems.map((row) => row.id)).toEqual([...accepted.systemIds].sort());
  for (const systemId of accepted.systemIds) {
    const { status } = await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).describe();
    expect(status.name, `intake workflow of ${systemId}`).not.toBe('FAILED');
  }
  const { rows: registered } = await h.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_events WHERE type = 'system.registered' GROUP BY system_id HAVING count(*) <> 1",
  );
  expect(registered).toEqual([]);

  const received = new Map<string, CaughtMail[]>();
  for (const mail of h.mail.messages) received.set(mail.messageId, [...(received.get(mail.messageId) ?? []), mail]);
  const resent = [...received.values()].filter((copies) => copies.length > 1);
  const describe = (copies: CaughtMail[]) => copies.map((mail) => `${mail.subject} to ${mail.to} at ${mail.receivedAt.toISOString()}`);
  expect(resent.length <= (accepted.resendsAtMost ?? 0) ? [] : resent.map(describe), 'emails received more than once').toEqual([]);
  // A re-sent email carries a link of its own (either copy's link decides); everything else is the same.
  const withoutLink = (mail: CaughtMail) => mail.text.replace(/\/actions\/[\w-]+/g, '/actions/…');
  for (const copies of resent) {
    expect(copies, 'a re-sent email arrives at most twice').toHaveLength(2);
    expect(withoutLink(copies[1]), 'a re-sent email is the same message').toBe(withoutLink(copies[0]));
    expect(copies[1].subject).toBe(copies[0].subject);
  }
  const { rows: sent } = await h.pool.query<{ message_id: string }>("SELECT message_id FROM outbox WHERE delivery = 'sent'");
  expect(sent.filter((row) => !received.has(row.message_id))).toEqual([]);

  const verified = await p.api('GET', '/api/v1/audit/verify', { as: 'lead' });
  expect(verified.body).toMatchObject({ ok: true });
  return { resent: resent.length };
}

/** A workflow's result, asked for again while the Temporal server is away (R2 restarts it). */
export async function resultThroughOutages<T = any>(p: FaultPlatform, workflowId: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await p.h.temporal.workflow.getHandle(workflowId).result();
    } catch (error) {
      if (!isDependencyUnavailable(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** Files an intake as the owner, retrying with its key while a dependency is down; answers the system id. */
export async function fileIntake(p: FaultPlatform, name: string): Promise<string> {
  const filed = await untilAccepted(
    (key) => p.api('POST', '/api/v1/systems', { body: sampleIntake({ name }), headers: { 'idempotency-key': key } }),
    (response) => response.status === 202,
  );
  return filed.body.systemId as string;
}

/** The system's open triage task, once the intake has opened it. */
export const openTriage = (p: FaultPlatform, systemId: string) =>
  eventually(async () => {
    const detail = await p.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return detail.body.openTasks?.find((task: { kind: string }) => task.kind === 'intake_triage');
  }, 180_000);

/** A governance lead accepts the triage by API (retrying with its key), and the intake ends in service. */
export async function acceptIntoService(p: FaultPlatform, systemId: string): Promise<void> {
  const task = await openTriage(p, systemId);
  await untilAccepted(
    (key) =>
      p.api('POST', `/api/v1/tasks/${task.id}/decision`, {
        as: 'lead',
        body: { decision: 'accept', snapshotHash: task.subjectHash },
        headers: { 'idempotency-key': key },
      }),
    (response) => response.status === 200,
  );
  expect(await resultThroughOutages(p, workflowIds.intake(systemId))).toMatchObject({ state: 'active' });
}
