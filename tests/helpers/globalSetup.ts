import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { ensureDatabase, migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { searchAttributes } from '../../workflows/contracts';
import { workflowsPath } from '../../worker/createWorker';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    templateDatabaseUrl: string;
    workflowBundlePath: string;
  }
}

const postgresUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** One real Temporal dev server, one migrated template database and one workflow bundle per test run. */
export default async function setup(project: TestProject) {
  const temporalCli = execFileSync('bash', [path.join(__dirname, '../../scripts/temporal-cli.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();

  const templateDatabaseUrl = `${postgresUrl}/aims_flow_test_template`;
  await dropDatabase('aims_flow_test_template');
  await ensureDatabase(templateDatabaseUrl);
  const pool = createPool(templateDatabaseUrl);
  await migrate(pool);
  await pool.end();

  const [environment, bundle] = await Promise.all([
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCli },
        ip: '127.0.0.1',
        searchAttributes: Object.values(searchAttributes),
        extraArgs: ['--log-level', 'error'],
      },
    }),
    bundleWorkflowCode({ workflowsPath, logger: quietLogger }),
  ]);
  const workflowBundlePath = path.join(await mkdtemp(path.join(tmpdir(), 'aims-flow-bundle-')), 'workflows.js');
  await writeFile(workflowBundlePath, bundle.code);

  project.provide('temporalAddress', environment.address);
  project.provide('templateDatabaseUrl', templateDatabaseUrl);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await environment.teardown();
  };
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
