import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { ensureDatabase, migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { ensureNamespace } from '../../scripts/temporalNamespace';
import { searchAttributes } from '../../workflows/contracts';
import { workflowBundleOptions } from '../../worker/createWorker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    templateDatabaseUrl: string;
    workflowBundlePath: string;
  }
}

const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/**
 * One Temporal server, one migrated template database and one workflow bundle per test run. The
 * server is a dev server of the run's own, or with TEST_TEMPORAL_ADDRESS (and TEST_TEMPORAL_NAMESPACE)
 * a running cluster whose namespace the shared set-up prepares. Database names are the run's own, so
 * two runs on one PostgreSQL never meet.
 */
export default async function setup(project: TestProject) {
  const templateName = `aims_flow_test_template_${randomBytes(4).toString('hex')}`;
  const templateDatabaseUrl = `${postgresUrl}/${templateName}`;
  await ensureDatabase(templateDatabaseUrl);
  const pool = createPool(templateDatabaseUrl);
  await migrate(pool);
  await pool.end();

  // The server first: the SDK gives a dev server five seconds to answer, which the bundler's CPU beside it can outlast.
  const temporal = await temporalServer();
  const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, logger: quietLogger });
  const workflowBundlePath = path.join(await mkdtemp(path.join(tmpdir(), 'aims-flow-bundle-')), 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', temporal.address);
  project.provide('temporalNamespace', temporal.namespace);
  project.provide('templateDatabaseUrl', templateDatabaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await temporal.teardown();
    await dropDatabase(templateName);
  };
}

async function temporalServer(): Promise<{ address: string; namespace: string; teardown: () => Promise<void> }> {
  const existing = process.env.TEST_TEMPORAL_ADDRESS;
  if (existing) {
    const namespace = process.env.TEST_TEMPORAL_NAMESPACE ?? 'default';
    await ensureNamespace({ connection: { address: existing }, namespace, retentionDays: 1 });
    return { address: existing, namespace, teardown: async () => undefined };
  }
  const temporalCli = execFileSync('bash', [path.join(__dirname, '../../scripts/temporal-cli.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const environment = await startingAgainOnTimeout(() =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCli },
        ip: '127.0.0.1',
        searchAttributes: Object.values(searchAttributes),
        extraArgs: ['--log-level', 'error'],
      },
    }),
  );
  return { address: environment.address, namespace: 'default', teardown: () => environment.teardown() };
}

/**
 * The SDK waits a fixed five seconds for a dev server to answer and then kills it: on a loaded 2-core
 * machine a start can take longer. A start that timed out is tried again, on a new port; any other
 * failure is not.
 */
async function startingAgainOnTimeout<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !/did not start within/.test(String((error as Error)?.message))) throw error;
      console.warn(`the Temporal dev server did not answer within the SDK's five seconds (attempt ${attempt}); starting it again`);
    }
  }
}

/** Roles belong to the whole PostgreSQL server: one a test made goes with it. */
export async function dropRole(name: string) {
  const pool = createPool(`${postgresUrl}/postgres`);
  await pool.query(`DROP ROLE IF EXISTS "${name}"`);
  await pool.end();
}

export async function dropDatabase(name: string) {
  const pool = createPool(`${postgresUrl}/postgres`);
  await pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await pool.end();
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
