/**
 * `npm start`: the whole platform on one machine with one command. A Temporal dev server (state in
 * .local/temporal.db), the PostgreSQL schema, demo principals, a mail catcher, the worker and the api;
 * then a banner that says how to try it. Ctrl-C stops everything; the next start reuses the data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Connection } from '@temporalio/client';
import { ed25519SignerFromPem } from '../api/commandSigner';
import { ensureDatabase, migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { parseConfig, type Config } from '../domain/config';
import { intakeRequestSchema, type IntakeRequest } from '../domain/system';
import { ensureNamespace } from './temporalNamespace';
import { startMailCatcher, type MailCatcher } from './mailCatcher';
import { seedDemoPrincipals, type DemoPerson } from './seed';

const root = path.resolve(__dirname, '..');
const localDir = path.join(root, '.local');
const tsxBin = path.join(root, 'node_modules', '.bin', 'tsx');

const startupTimeoutMs = { temporal: 90_000, api: 60_000, worker: 120_000 };

class StartError extends Error {}

// ---- child processes ----

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<Exit>;
  hasExited: boolean;
  /** Stopped and its process group swept; its pid may belong to someone else by now. */
  done: boolean;
  /** How long SIGTERM may take before SIGKILL. */
  graceMs: number;
  /** Children with a lower rank stop first: the api and worker before the Temporal server they use. */
  stopRank: number;
  /** A short-lived helper whose exit is expected, not a failure. */
  transient: boolean;
}

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const prefixColors: Record<string, number> = { temporal: 35, worker: 36, api: 32, 'temporal-cli': 33 };
const say = (line: string) => process.stdout.write(`${paint(1, 'dev'.padEnd(12))} ${line}\n`);
const warn = (line: string) => process.stderr.write(`${paint(1, 'dev'.padEnd(12))} ${paint(31, line)}\n`);

function describeExit({ code, signal, error }: Exit): string {
  if (error) return error.message;
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/**
 * Where util-linux's setpriv exists (Linux), a child gets SIGTERM from the kernel when this supervisor
 * dies without stopping it (SIGKILL, or tsx force-killing it), so no server outlives `npm start`.
 */
const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => {
  try {
    accessSync(candidate, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});

function diesWithSupervisor(command: string, args: string[]): [string, string[]] {
  return setpriv ? [setpriv, ['--pdeathsig', 'SIGTERM', '--', command, ...args]] : [command, args];
}

function signalGroup(child: Child, signal: NodeJS.Signals) {
  // Each child leads its own process group (detached), so this reaches what it spawned too (tsx's node).
  if (child.process.pid === undefined) return;
  try {
    process.kill(-child.process.pid, signal);
  } catch {
    // ESRCH: the group is gone already
  }
}

class Platform {
  private readonly children: Child[] = [];
  private stopping?: Promise<never>;
  catcher?: MailCatcher;

  /**
   * Spawns a child in its own process group, so a terminal Ctrl-C reaches only this supervisor, which
   * then stops the children in order instead of all at once. Output lines get the child's name.
   */
  spawn(
    name: string,
    command: string,
    args: string[],
    options: { env?: NodeJS.ProcessEnv; graceMs?: number; stopRank?: number; transient?: boolean; captureStdout?: boolean; quietWhenStopping?: boolean } = {},
  ): Child & { stdout: Promise<string> } {
    if (this.isStopping) throw new StartError(`not starting ${name}: stopping`);
    const [file, argv] = diesWithSupervisor(command, args);
    const proc = spawn(file, argv, { cwd: root, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const label = paint(prefixColors[name] ?? 0, name.padEnd(12));
    const show = (out: NodeJS.WriteStream) => (line: string) => {
      if (!(options.quietWhenStopping && this.isStopping)) out.write(`${label} ${line}\n`);
    };
    let captured = '';
    if (options.captureStdout) proc.stdout!.on('data', (chunk: Buffer) => (captured += chunk.toString('utf8')));
    else readline.createInterface({ input: proc.stdout! }).on('line', show(process.stdout));
    readline.createInterface({ input: proc.stderr! }).on('line', show(process.stderr));

    const child: Child = {
      name,
      process: proc,
      hasExited: false,
      done: false,
      graceMs: options.graceMs ?? 10_000,
      stopRank: options.stopRank ?? 0,
      transient: options.transient ?? false,
      exited: new Promise<Exit>((resolve) => {
        proc.once('error', (error) => resolve({ code: null, signal: null, error }));
        // 'close', not 'exit': by then its output has been read to the end.
        proc.once('close', (code, signal) => resolve({ code, signal }));
      }),
    };
    void child.exited.then((exit) => {
      child.hasExited = true;
      if (!child.transient) void this.fail(`${name} exited unexpectedly (${describeExit(exit)})`);
    });
    this.children.push(child);
    return Object.assign(child, { stdout: child.exited.then(() => captured) });
  }

  /** Stops everything because something went wrong; exits 1. */
  fail(reason: string): Promise<never> {
    if (!this.stopping) warn(reason);
    return this.stop(1);
  }

  stop(exitCode: number): Promise<never> {
    this.stopping ??= this.stopAll(exitCode);
    return this.stopping;
  }

  get isStopping() {
    return this.stopping !== undefined;
  }

  /** A second Ctrl-C while stopping: no more waiting. */
  killNow() {
    warn('killing every child now');
    this.killAllSync();
  }

  /** Last resort on an unexpected exit of this process: no child may outlive it. */
  killAllSync() {
    for (const child of this.children) if (!child.done) signalGroup(child, 'SIGKILL');
  }

  private async stopAll(exitCode: number): Promise<never> {
    const ranks = [...new Set(this.children.map((child) => child.stopRank))].sort((a, b) => a - b);
    for (const rank of ranks) {
      await Promise.all(this.children.filter((child) => child.stopRank === rank).map((child) => this.terminate(child)));
    }
    await this.catcher?.close().catch(() => undefined);
    say(exitCode === 0 ? 'stopped' : 'stopped after a failure');
    process.exit(exitCode);
  }

  private async terminate(child: Child): Promise<void> {
    if (!child.hasExited && child.process.pid !== undefined) {
      child.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        child.exited.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), child.graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        warn(`${child.name} did not stop within ${child.graceMs / 1000} s; killing it`);
        signalGroup(child, 'SIGKILL');
        await child.exited;
      }
    }
    // Whatever the child left behind in its group goes with it.
    signalGroup(child, 'SIGKILL');
    child.done = true;
  }
}

// ---- steps ----

function hostAndPort(address: string): { host: string; port: number } {
  const url = new URL(`tcp://${address}`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 7233) };
}

function portOf(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

function envPort(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StartError(`${name} must be a port number, got ${JSON.stringify(value)}`);
  return port;
}

async function assertPortFree(host: string, port: number, what: string, hint: string) {
  const probe = net.createServer();
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    probe.once('error', resolve);
    probe.listen(port, host, () => resolve(undefined));
  });
  if (!problem) {
    await new Promise((resolve) => probe.close(resolve));
    return;
  }
  if (problem.code === 'EADDRINUSE') {
    throw new StartError(`port ${port} on ${host} (${what}) is already in use: ${hint}\n  See what holds it with: ss -ltnp 'sport = :${port}'`);
  }
  throw new StartError(`cannot listen on ${host}:${port} (${what}): ${problem.message}`);
}

async function findTemporalCli(platform: Platform): Promise<string> {
  const script = platform.spawn('temporal-cli', 'bash', [path.join(root, 'scripts', 'temporal-cli.sh')], {
    transient: true,
    captureStdout: true,
    graceMs: 5_000,
  });
  const [exit, stdout] = await Promise.all([script.exited, script.stdout]);
  const cli = stdout.trim();
  if (exit.code !== 0 || !cli) throw new StartError(`no Temporal CLI (scripts/temporal-cli.sh: ${describeExit(exit)}); see its messages above`);
  return cli;
}

function startTemporal(platform: Platform, cli: string, temporal: { host: string; port: number }, uiPort: number) {
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(localDir, 'temporal.db'),
    '--ip',
    temporal.host,
    '--port',
    String(temporal.port),
    '--ui-port',
    String(uiPort),
    '--log-level',
    'warn',
  ];
  // Its shutdown logs a screenful of expected warnings (internal pollers losing the connection).
  platform.spawn('temporal', cli, args, { graceMs: 15_000, stopRank: 1, quietWhenStopping: true });
}

/** Until the server answers, so the namespace set-up, the worker and the api connect on their first try. */
async function waitForTemporal(config: Config): Promise<Connection> {
  const deadline = Date.now() + startupTimeoutMs.temporal;
  let lastError = '';
  while (Date.now() < deadline) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      return connection;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await connection?.close().catch(() => undefined);
      await sleep(300);
    }
  }
  throw new StartError(`Temporal did not become ready at ${config.TEMPORAL_ADDRESS} within ${startupTimeoutMs.temporal / 1000} s: ${lastError}`);
}

async function prepareDatabase(config: Config): Promise<DemoPerson[]> {
  const where = new URL(config.DATABASE_URL);
  where.password = '';
  try {
    await ensureDatabase(config.DATABASE_URL);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StartError(
      `cannot prepare the database at ${where.host} (${reason}): is PostgreSQL running there and may this user create databases? Or point DATABASE_URL at one`,
    );
  }
  const pool = createPool(config.DATABASE_URL);
  try {
    const applied = await migrate(pool);
    say(applied.length ? `database ${where.pathname.slice(1)}: applied ${applied.join(', ')}` : `database ${where.pathname.slice(1)}: schema up to date`);
    return await seedDemoPrincipals(pool, path.join(localDir, 'demo-credentials.json'));
  } finally {
    await pool.end();
  }
}

async function startCatcher(smtpPort: number, httpPort: number): Promise<MailCatcher> {
  try {
    return await startMailCatcher({ smtpPort, httpPort });
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new StartError(
        `the mail catcher's ports are taken (SMTP ${smtpPort}, web ${httpPort}); stop what holds them or set MAIL_SMTP_PORT / MAIL_HTTP_PORT`,
      );
    }
    throw err;
  }
}

async function waitForApi(baseUrl: string) {
  const deadline = Date.now() + startupTimeoutMs.api;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(new URL('/readyz', baseUrl), { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
      last = `HTTP ${response.status} ${await response.text()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(300);
  }
  throw new StartError(`the api did not become ready at ${baseUrl}/readyz within ${startupTimeoutMs.api / 1000} s (${last})`);
}

/** Until a worker started after `since` polls the task queue: then a filed intake moves at once. */
async function waitForWorker(connection: Connection, config: Config, since: number) {
  const deadline = Date.now() + startupTimeoutMs.worker;
  while (Date.now() < deadline) {
    // The unspecified task queue type describes the workflow pollers.
    const pollers = await connection.workflowService
      .describeTaskQueue({ namespace: config.TEMPORAL_NAMESPACE, taskQueue: { name: config.TEMPORAL_TASK_QUEUE } })
      .then(
        (response) => response.pollers,
        () => [],
      );
    // Pollers of a previous run stay listed for a while; only a fresh poll counts.
    if (pollers.some((poller) => Number(poller.lastAccessTime?.seconds ?? 0) * 1000 >= since - 1000)) return;
    await sleep(500);
  }
  throw new StartError(`the worker did not poll task queue ${config.TEMPORAL_TASK_QUEUE} within ${startupTimeoutMs.worker / 1000} s`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- banner ----

/** What the banner's curl files: a customer-facing assistant on personal data, so triage has work. */
const demoIntake: IntakeRequest = {
  name: 'Support reply assistant',
  purpose: 'Drafts replies to customer support tickets for agents to review before sending',
  businessUnit: 'Customer Care',
  provenance: 'vendor',
  vendor: 'Acme AI',
  useCategory: 'generative_assistant',
  impactAreas: ['customer_interaction'],
  dataCategories: ['personal'],
  decisionRole: 'decision_support',
  humanOversight: 'in_the_loop',
  affectedParties: ['customers', 'support agents'],
};

const jsonOneFieldALine = (value: object) =>
  `{\n${Object.entries(value)
    .map(([key, field]) => `    ${JSON.stringify(key)}: ${JSON.stringify(field)}`)
    .join(',\n')}\n  }`;

function banner(options: { apiUrl: string; temporalUiUrl: string; mailUrl: string; smtpUrl: string; people: DemoPerson[] }): string {
  const { apiUrl, temporalUiUrl, mailUrl, smtpUrl, people } = options;
  const key = (id: string) => people.find((person) => person.id === id)?.apiKey ?? '<api key>';
  const owner = people.find((person) => person.roles.includes('system_owner'));
  const lead = people.find((person) => person.roles.includes('governance_lead'));
  const rule = '='.repeat(78);
  const lines = [
    rule,
    ' aims-flow is running',
    rule,
    ` Web pages        ${apiUrl}   (sign in with a demo email below; the link arrives in the mail catcher)`,
    ` API              ${apiUrl}/api/v1   (ready: ${apiUrl}/readyz, docs: ${apiUrl}/docs)`,
    ` Temporal Web UI  ${temporalUiUrl}`,
    ` Mail catcher     ${mailUrl}   (SMTP ${smtpUrl})`,
    '',
    ' Demo people (API keys are kept in .local/demo-credentials.json and reused on the next start):',
    ...people.map(
      (person) => `   ${person.name.padEnd(15)} ${person.roles.join(', ').padEnd(16)} ${person.apiKey}\n   ${''.padEnd(15)} ${person.email}: ${person.playsAs}`,
    ),
    '',
    ` 1. File an AI system as ${owner?.name ?? 'a system owner'}:`,
    '',
    `curl -sS -X POST ${apiUrl}/api/v1/systems \\`,
    `  -H 'Authorization: Bearer ${key(owner?.id ?? '')}' \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '${jsonOneFieldALine(demoIntake)}'`,
    '',
    ' 2. Look at it (state "intake", an open triage task), with the systemId from the answer:',
    '',
    `curl -sS ${apiUrl}/api/v1/systems/<systemId> -H 'Authorization: Bearer ${key(owner?.id ?? '')}'`,
    '',
    ` 3. The triage task as governance lead ${lead?.name ?? ''}:`,
    '',
    `curl -sS '${apiUrl}/api/v1/tasks?mine=true' -H 'Authorization: Bearer ${key(lead?.id ?? '')}'`,
    '',
    ` 4. The governance leads got an email: open ${mailUrl} and follow its link to`,
    '    accept, reject or request changes. The intake workflow is in the Temporal Web UI.',
    '',
    ' Ctrl-C stops everything; the next npm start keeps the data.',
    rule,
  ];
  return lines.join('\n');
}

/**
 * The api's command-signing key, made once and kept with the local data: tasks left open by an
 * earlier start verify their commands with it.
 */
/** An Ed25519 key of this machine's own in `.local/`, made on the first start. */
async function localSigningKey(name: string): Promise<{ file: string; publicKey: string }> {
  const file = path.join(localDir, name);
  const pem = await readFile(file, 'utf8').catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
    const made = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    await writeFile(file, made, { mode: 0o600, flag: 'wx' });
    return made;
  });
  return { file, publicKey: ed25519SignerFromPem(pem, file).publicKey };
}

// ---- main ----

async function main(platform: Platform) {
  const config = parseConfig(process.env);
  const temporal = hostAndPort(config.TEMPORAL_ADDRESS);
  const temporalUiPort = portOf(config.TEMPORAL_UI_URL);
  const mailSmtpPort = envPort('MAIL_SMTP_PORT', 1025);
  const mailHttpPort = envPort('MAIL_HTTP_PORT', 8025);
  const apiUrl = (process.env.PUBLIC_BASE_URL ? config.PUBLIC_BASE_URL : `http://127.0.0.1:${config.PORT}`).replace(/\/$/, '');
  const sampleCheck = intakeRequestSchema.safeParse(demoIntake);
  if (!sampleCheck.success) warn(`the banner's sample intake no longer fits intakeRequestSchema: ${sampleCheck.error.message}`);

  await mkdir(localDir, { recursive: true, mode: 0o700 });
  await assertPortFree(
    temporal.host,
    temporal.port,
    'Temporal gRPC',
    'another `npm start` or Temporal server is probably running; stop it, or set TEMPORAL_ADDRESS to another port',
  );
  await assertPortFree(temporal.host, temporalUiPort, 'Temporal Web UI', 'stop what holds it, or set TEMPORAL_UI_URL to another port');
  await assertPortFree('127.0.0.1', config.PORT, 'api', 'stop what holds it, or set PORT to another port');

  const cli = await findTemporalCli(platform);
  say(`Temporal CLI: ${cli}`);
  startTemporal(platform, cli, temporal, temporalUiPort);
  // The database is prepared while the Temporal server boots.
  // The namespace and its search attributes come from the one set-up the cluster script and compose use too.
  const temporalReady = waitForTemporal(config).then(async (ready) => {
    await ensureNamespace({ connection: { address: config.TEMPORAL_ADDRESS }, namespace: config.TEMPORAL_NAMESPACE, timeoutMs: startupTimeoutMs.temporal });
    return ready;
  });
  const [connection, people] = await Promise.all([temporalReady, prepareDatabase(config)]);
  say(`Temporal is ready at ${config.TEMPORAL_ADDRESS}, namespace ${config.TEMPORAL_NAMESPACE}`);

  platform.catcher = await startCatcher(mailSmtpPort, mailHttpPort);
  const smtpUrl = `smtp://127.0.0.1:${platform.catcher.smtpPort}`;
  const mailUrl = `http://127.0.0.1:${platform.catcher.httpPort}`;

  const commandKey = config.COMMAND_SIGNING_KEY_FILE ? undefined : await localSigningKey('command-signing-key.pem');
  const auditKey = config.AUDIT_SIGNING_KEY_FILE ? undefined : await localSigningKey('audit-signing-key.pem');
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...(commandKey && { COMMAND_SIGNING_KEY_FILE: commandKey.file, COMMAND_PUBLIC_KEY: commandKey.publicKey }),
    ...(auditKey && { AUDIT_SIGNING_KEY_FILE: auditKey.file, AUDIT_PUBLIC_KEYS: auditKey.publicKey }),
    DATABASE_URL: config.DATABASE_URL,
    TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: config.TEMPORAL_NAMESPACE,
    TEMPORAL_TASK_QUEUE: config.TEMPORAL_TASK_QUEUE,
    TEMPORAL_UI_URL: config.TEMPORAL_UI_URL,
    SMTP_URL: smtpUrl,
    PUBLIC_BASE_URL: apiUrl,
    PORT: String(config.PORT),
    LOG_LEVEL: config.LOG_LEVEL,
  };
  const workerStartedAt = Date.now();
  platform.spawn('worker', tsxBin, ['worker/main.ts'], { env: childEnv });
  platform.spawn('api', tsxBin, ['api/main.ts'], { env: childEnv });
  await Promise.all([waitForApi(apiUrl), waitForWorker(connection, config, workerStartedAt)]);
  await connection.close();

  process.stdout.write(`\n${banner({ apiUrl, temporalUiUrl: config.TEMPORAL_UI_URL.replace(/\/$/, ''), mailUrl, smtpUrl, people })}\n\n`);
}

if (require.main === module) {
  const platform = new Platform();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (platform.isStopping) {
      // A terminal's Ctrl-C reaches us twice: from the terminal and relayed by tsx. Only a later one
      // is a person pressing again.
      if (Date.now() - firstSignalAt > 1_000) platform.killNow();
      return;
    }
    firstSignalAt = Date.now();
    say(`${signal}: stopping (press Ctrl-C again to kill at once)`);
    void platform.stop(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('exit', () => platform.killAllSync());
  main(platform).catch((error: unknown) => {
    const message = error instanceof StartError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    void platform.fail(`could not start: ${message}`);
  });
}
