import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import nodemailer, { type Transporter } from 'nodemailer';
import pino, { type Logger } from 'pino';
import { expect, inject } from 'vitest';
import { createActivities, type Activities } from '../../activities';
import { createApp, createMetricsApp } from '../../api/app';
import { createCommandSigner, ed25519SignerFromPem } from '../../api/commandSigner';
import { createMetrics } from '../../api/metrics';
import { encryptingDataConverter } from '../../api/payloadCodec';
import type { ApiDeps } from '../../api/deps';
import { preparePolicy } from '../../api/policy';
import { recordAuditCheckpoint } from '../../db/auditCheckpoint';
import { createPool, type Pool } from '../../db/pool';
import { newApiKey, upsertPrincipal } from '../../db/principals';
import type { AuditCheckpoint } from '../../domain/auditCheckpoint';
import type { CommandProof, SignedCommandName } from '../../domain/commandSignature';
import type { Ed25519Signer } from '../../domain/ed25519';
import type { Policy, PolicyInput } from '../../domain/policy';
import type { Role } from '../../domain/principal';
import { startMailCatcher, type MailCatcher } from '../../scripts/mailCatcher';
import { createWorker } from '../../worker/createWorker';
import { scheduleIds, searchAttributes, workflowIds, workflowTypes } from '../../workflows/contracts';
import type { humanTaskWorkflow } from '../../workflows/humanTask';
import { dropDatabase } from './globalSetup';
import { calmPolicy } from './policies';
import { newEd25519Pem } from './keys';
import { sampleIntake } from './samples';

export interface Person {
  id: string;
  email: string;
  name: string;
  apiKey: string;
}

const cast = {
  owner: { name: 'Olivia Owner', roles: ['system_owner'], manager: 'ownerManager' },
  ownerManager: { name: 'Omar Manager', roles: ['approver'], manager: null },
  lead: { name: 'Grace Lead', roles: ['governance_lead'], manager: 'leadManager' },
  leadManager: { name: 'Lars Manager', roles: ['approver'], manager: null },
  executive: { name: 'Erin Executive', roles: ['executive'], manager: null },
  approver: { name: 'Ada Approver', roles: ['approver'], manager: null },
  auditor: { name: 'Aldo Auditor', roles: ['auditor'], manager: null },
  ownerAndLead: { name: 'Lena Owner-Lead', roles: ['system_owner'], manager: null },
  lead2: { name: 'Gus Lead', roles: [], manager: null },
  privacy: { name: 'Pia Privacy', roles: ['privacy_officer'], manager: null },
  risk: { name: 'Rick Risk', roles: ['risk_officer'], manager: null },
} as const satisfies Record<string, { name: string; roles: Role[]; manager: string | null }>;
export type CastMember = keyof typeof cast;

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface Harness {
  baseUrl: string;
  /** The api's Prometheus scrape, served on its own listener. */
  metricsUrl: string;
  databaseUrl: string;
  temporalAddress: string;
  temporalNamespace: string;
  pool: Pool;
  temporal: Client;
  mail: MailCatcher;
  people: Record<CastMember, Person>;
  deps: ApiDeps;
  activities: Activities;
  taskQueue: string;
  api<T = any>(method: string, path: string, options?: { as?: CastMember | null; body?: unknown; headers?: Record<string, string> }): Promise<ApiResponse<T>>;
  usePolicy(policy: PolicyInput): void;
  /** The policy as the api would start processes under it: validated, versioned and carrying the command key. */
  preparePolicy(policy: PolicyInput): Policy;
  /** A command's input signed as the api signs it, for tests that send an Update to Temporal themselves. */
  /** The base64 key file the harness seals Temporal payloads with (absent when it keeps them clear), for worker processes. */
  payloadKeyFile: string | undefined;
  /** The PEM private key the harness's api signs with, for tests that sign as it did at another time. */
  commandSigningKey: string;
  signCommand<Args extends object>(name: SignedCommandName, workflowId: string, updateId: string, args: Args): Args & { signed: CommandProof };
  /** The background verifier's key as the worker holds it, and its PEM file for worker processes. */
  auditSigner: Ed25519Signer;
  auditSigningKeyFile: string;
  /** Runs the background verifier once, as a run of its schedule does (`fromGenesis` as when its last full walk is old). */
  checkpointAuditChain(options?: { fromGenesis?: boolean }): Promise<AuditCheckpoint | null>;
  /** Waits until the system has an open task of the kind (and matching `where`), as a governance lead sees it. */
  openTask(systemId: string, kind: string, where?: (task: any) => boolean): Promise<any>;
  /** Files a low-tier intake under the current policy, has a lead accept it, and waits for the intake to end. */
  fileAcceptedSystem(name: string): Promise<string>;
  /** Decides through the API on the version of the subject the task shows now, as a person reviewing it would. */
  decide(
    taskId: string,
    as: CastMember,
    decision: string,
    extra?: { comment?: string; submission?: unknown; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A whole platform for one test file: its own migrated database, the real Temporal dev server of the
 * run, a worker on its own task queue, the api on a free port, and a real SMTP receiver.
 */
export async function startHarness(
  options: {
    withGovernanceLeadOwner?: boolean;
    /** Gives lead2 the governance_lead role, for tests of rules over several leads; others rely on one lead. */
    extraGovernanceLead?: boolean;
    /** Lets a test stand between the worker and the real activities, e.g. to inject failures. */
    wrapActivities?: (activities: Activities) => Activities;
    /** Lets a test stand between the activities and the SMTP connection. */
    wrapMailer?: (mailer: Transporter) => Transporter;
    /** The api's logger; silent unless TEST_LOG_LEVEL says otherwise. */
    logger?: Logger;
    /** Payloads are sealed with a key of the harness's own, as in production; the history recorder keeps them clear. */
    encryptPayloads?: boolean;
  } = {},
): Promise<Harness> {
  Runtime.install({ logger: new DefaultLogger(process.env.TEST_WORKER_LOG_LEVEL === 'WARN' ? 'WARN' : 'ERROR') });
  const databaseName = `aims_flow_test_${randomBytes(4).toString('hex')}`;
  const templateUrl = new URL(inject('templateDatabaseUrl'));
  const admin = createPool(new URL('/postgres', templateUrl).toString());
  await admin.query(`CREATE DATABASE ${databaseName} TEMPLATE ${templateUrl.pathname.slice(1)}`);
  await admin.end();
  const databaseUrl = new URL(`/${databaseName}`, templateUrl).toString();
  const pool = createPool(databaseUrl);

  const people = {} as Record<CastMember, Person>;
  for (const [id, member] of Object.entries(cast) as [CastMember, (typeof cast)[CastMember]][]) {
    const apiKey = newApiKey();
    const roles: Role[] =
      id === 'ownerAndLead' && options.withGovernanceLeadOwner
        ? ['system_owner', 'governance_lead']
        : id === 'lead2' && options.extraGovernanceLead
          ? ['governance_lead']
          : [...member.roles];
    people[id] = { id, email: `${id}@example.test`, name: member.name, apiKey };
    await upsertPrincipal(pool, { id, email: people[id].email, name: member.name, roles, managerId: null, apiKey });
  }
  for (const [id, member] of Object.entries(cast)) {
    if (member.manager) await pool.query('UPDATE principals SET manager_id = $2 WHERE id = $1', [id, member.manager]);
  }

  const mail = await startMailCatcher({ smtpPort: 0 });
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const address = inject('temporalAddress');
  const namespace = inject('temporalNamespace');
  const payloadKey = randomBytes(32);
  const payloadKeyFile = path.join(await mkdtemp(path.join(tmpdir(), 'aims-flow-harness-')), 'payload-key');
  await writeFile(payloadKeyFile, payloadKey.toString('base64'), { mode: 0o600 });
  const dataConverter = options.encryptPayloads === false ? {} : encryptingDataConverter([payloadKey]);
  const temporal = new Client({ connection: await Connection.connect({ address }), namespace, dataConverter });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: mail.smtpPort, secure: false, ignoreTLS: true });
  // The background verifier's key, as a worker holds one; a file too, for worker processes.
  const auditSigningKey = newEd25519Pem();
  const auditSigningKeyFile = path.join(path.dirname(payloadKeyFile), 'audit-signing-key.pem');
  await writeFile(auditSigningKeyFile, auditSigningKey, { mode: 0o600 });
  const auditSigner = ed25519SignerFromPem(auditSigningKey, 'harness audit key');
  const activities = createActivities({
    pool,
    mailer: options.wrapMailer ? options.wrapMailer(mailer) : mailer,
    mailFrom: 'aims-flow <governance@example.test>',
    publicBaseUrl: baseUrl,
    temporal,
    taskQueue,
    currentPolicy: () => deps.policy,
    auditCheckpoints: { pool, signer: auditSigner, walkFromGenesisEveryMs: 24 * 3_600_000 },
  });

  // A signing key of this harness's own, as an api holds one.
  const commandSigningKey = newEd25519Pem();
  const commandSigner = createCommandSigner(commandSigningKey);
  const withCommandKey = (policy: PolicyInput): Policy => ({ ...preparePolicy(policy), commandKey: commandSigner.publicKey });
  const deps: ApiDeps = {
    pool,
    temporal,
    taskQueue,
    policy: withCommandKey(calmPolicy),
    commandSigner,
    auditPublicKeys: [auditSigner.publicKey],
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    temporalUiUrl: 'http://127.0.0.1:8233',
    temporalDeadlineMs: 10_000,
    mailer,
    mailFrom: 'aims-flow <governance@example.test>',
    publicBaseUrl: baseUrl,
    // Far above what a test sends; tests of the limits build an app with their own.
    rateLimits: { perAddressPerMinute: 1_000_000, perPrincipalPerMinute: 1_000_000, incidentsPerReporterPerHour: 1_000_000 },
  };
  const metrics = createMetrics(pool);
  server.on('request', createApp(deps, metrics));
  const metricsServer = http.createServer(createMetricsApp(metrics));
  await new Promise<void>((resolve) => metricsServer.listen(0, '127.0.0.1', resolve));
  const metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}/metrics`;

  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  const harness: Harness = {
    baseUrl,
    metricsUrl,
    databaseUrl,
    temporalAddress: address,
    temporalNamespace: namespace,
    pool,
    temporal,
    mail,
    people,
    deps,
    activities,
    taskQueue,
    api: (method, path, options) => callApi(baseUrl, people, method, path, options),
    async decide(taskId, as, decision, { headers, ...extra } = {}) {
      const { body } = await harness.api('GET', `/api/v1/tasks/${taskId}`, { as });
      const snapshotHash = body.task?.subjectHash ?? '0'.repeat(64);
      return harness.api('POST', `/api/v1/tasks/${taskId}/decision`, { as, body: { decision, snapshotHash, ...extra }, headers });
    },
    openTask(systemId, kind, where = () => true) {
      return eventually(async () => {
        const { body } = await harness.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
        return body.openTasks?.find((task: { kind: string }) => task.kind === kind && where(task));
      });
    },
    async fileAcceptedSystem(name) {
      const filed = await harness.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
      const systemId = filed.body.systemId as string;
      await harness.decide((await harness.openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
      await temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
      return systemId;
    },
    usePolicy(policy) {
      deps.policy = withCommandKey(policy);
    },
    preparePolicy: withCommandKey,
    commandSigningKey,
    payloadKeyFile: options.encryptPayloads === false ? undefined : payloadKeyFile,
    signCommand: (name, workflowId, updateId, args) => ({ ...args, signed: commandSigner.sign({ name, workflowId, updateId, args }) }),
    auditSigner,
    auditSigningKeyFile,
    checkpointAuditChain: (options = {}) => recordAuditCheckpoint(pool, auditSigner, { walkFromGenesisEveryMs: options.fromGenesis ? 0 : 24 * 3_600_000 }),
    async startWorker() {
      worker = await createWorker({
        connection: nativeConnection,
        namespace,
        taskQueue,
        dataConverter,
        activities: options.wrapActivities ? options.wrapActivities(activities) : activities,
        workflowBundle: { codePath: inject('workflowBundlePath') },
      });
      running = worker.run();
    },
    async stopWorker() {
      worker?.shutdown();
      await running;
      worker = undefined;
    },
    async stop() {
      // Review schedules live on the shared dev server: none outlives its test file.
      const { rows } = await pool.query<{ id: string }>('SELECT id FROM ai_systems');
      await Promise.all(
        rows.map(({ id }) =>
          temporal.schedule
            .getHandle(scheduleIds.review(id))
            .delete()
            .catch(() => undefined),
        ),
      );
      await harness.stopWorker();
      // Nor does any workflow: on a shared cluster it would wait for ever on a task queue nobody polls.
      const running = temporal.workflow.list({ query: `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"` });
      for await (const execution of running) {
        await temporal.workflow
          .getHandle(execution.workflowId, execution.runId)
          .terminate('test file finished')
          .catch(() => undefined);
      }
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      metricsServer.close();
      mailer.close();
      await Promise.all([mail.close(), pool.end(), nativeConnection.close(), temporal.connection.close()]);
      await dropDatabase(databaseName);
    },
  };
  await harness.startWorker();
  return harness;
}

/** The real worker entry point (worker/main.ts) as its own process, configured through the environment as in production. */
export function spawnWorkerProcess(h: Harness, logLevel: string, stdio: StdioOptions): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../worker/main.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: h.databaseUrl,
      TEMPORAL_ADDRESS: h.temporalAddress,
      TEMPORAL_NAMESPACE: h.temporalNamespace,
      TEMPORAL_TASK_QUEUE: h.taskQueue,
      SMTP_URL: `smtp://127.0.0.1:${h.mail.smtpPort}`,
      PUBLIC_BASE_URL: h.baseUrl,
      COMMAND_PUBLIC_KEY: h.deps.commandSigner.publicKey,
      AUDIT_SIGNING_KEY_FILE: h.auditSigningKeyFile,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
      ...(h.payloadKeyFile && { PAYLOAD_ENCRYPTION_KEY_FILE: h.payloadKeyFile }),
      LOG_LEVEL: logLevel,
    },
    stdio,
  });
}

/** The `name=value` part of the answer's cookie of that name (also a __Host- one). */
export const cookieFrom = (answer: Response, name: string) =>
  answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .find((pair) => pair.startsWith(`${name}=`) || pair.startsWith(`__Host-${name}=`));

/**
 * Signs in as a browser without a page would: asks for a link (keeping the pre-sign-in cookie), opens
 * the emailed link in that same browser and presses its button. `base` is the app to sign in to.
 */
export async function signInByEmail(h: Harness, who: CastMember, base = h.baseUrl) {
  const earlier = new Set(h.mail.messages);
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const answer = await fetch(`${base}/signin`, { method: 'POST', headers: form, body: new URLSearchParams({ email: h.people[who].email }) });
  const browserCookie = cookieFrom(answer, 'aims_signin')!;
  const email = await h.mail.waitFor((m) => m.to.includes(h.people[who].email) && m.subject === 'Your aims-flow sign-in link' && !earlier.has(m));
  const path = new URL(email.links[0]).pathname + new URL(email.links[0]).search;
  expect((await fetch(`${base}${path}`, { headers: { cookie: browserCookie } })).status).toBe(200);
  const signedIn = await fetch(`${base}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...form, cookie: browserCookie },
    body: new URLSearchParams({ next: '/' }),
  });
  expect(signedIn.status).toBe(303);
  return { link: email.links[0], browserCookie, signedIn, sessionCookie: cookieFrom(signedIn, 'aims_session')! };
}

/** Whether the worker process has polled the harness's task queue for workflow tasks (its default identity starts with its pid). */
export async function isPolling(h: Harness, worker: ChildProcess): Promise<boolean> {
  const { pollers } = await h.temporal.workflowService.describeTaskQueue({
    namespace: h.temporalNamespace,
    taskQueue: { name: h.taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return pollers?.some((poller) => poller.identity?.startsWith(`${worker.pid}@`)) ?? false;
}

/** Waits until the worker process polls the harness's task queue. */
export async function workerPolling(h: Harness, worker: ChildProcess, timeoutMs = 60_000): Promise<void> {
  await eventually(async () => ((await isPolling(h, worker)) ? true : undefined), timeoutMs);
}

/** A request to an api as one of the cast, JSON in and out (pages and empty bodies stay text). */
export async function callApi<T = any>(
  baseUrl: string,
  people: Record<CastMember, Person>,
  method: string,
  path: string,
  { as = 'owner', body, headers = {} }: { as?: CastMember | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(as ? { authorization: `Bearer ${people[as].apiKey}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // pages and empty bodies stay text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export { sampleIntake };

/** Polls until the check returns a value (not undefined), or fails with the last value seen. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/**
 * Submits the form of an emailed action page as a browser would: the page's hidden fields plus the
 * person's own choices.
 */
export async function submitActionForm(link: string, fields: Record<string, string>): Promise<Response> {
  const page = await (await fetch(link)).text();
  const hidden = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2]]));
  return fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, ...fields }),
  });
}

/**
 * Starts a triage task workflow on its own, without an intake parent, for a system the intake API
 * created: the way to give a task settings the API never sends, such as a small history limit.
 */
export async function startStandaloneTriageTask(h: Harness, options: { systemId: string; subjectHash: string; policy: PolicyInput; historyLimit: number }) {
  const policy = h.preparePolicy(options.policy);
  const taskId = randomUUID();
  const handle = await h.temporal.workflow.start<typeof humanTaskWorkflow>(workflowTypes.humanTask, {
    taskQueue: h.taskQueue,
    workflowId: workflowIds.task(taskId),
    typedSearchAttributes: [{ key: searchAttributes.systemId, value: options.systemId }],
    args: [
      {
        taskId,
        systemId: options.systemId,
        systemOwnerId: 'owner',
        kind: 'intake_triage',
        tier: 'low',
        requesterId: 'owner',
        policy: policy.tasks.intake_triage,
        policyVersion: policy.version,
        commandKey: policy.commandKey,
        subject: { hash: options.subjectHash, version: 1 },
        historyLimit: options.historyLimit,
      },
    ],
  });
  return { taskId, handle };
}
