import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { createActivities } from '../activities';
import { ed25519SignerFromPem } from '../api/commandSigner';
import { payloadDataConverter } from '../api/payloadCodec';
import { loadPolicy } from '../api/policy';
import { createPool } from '../db/pool';
import { ConfigError, parseConfig, temporalConnectionOptions } from '../domain/config';
import { missingSearchAttributes } from '../workflows/contracts';
import { createWorker } from './createWorker';
import { ensureAuditCheckpointSchedule, ensureDigestSchedule, syncReviewSchedulesToNewPolicy } from './schedules';
import { installRuntimeLogger } from './logging';

async function main() {
  const config = parseConfig(process.env);
  if (!config.COMMAND_PUBLIC_KEY) throw new ConfigError("COMMAND_PUBLIC_KEY is required: the processes the worker starts verify people's commands with it");
  if (!config.AUDIT_SIGNING_KEY_FILE) throw new ConfigError('AUDIT_SIGNING_KEY_FILE is required: the worker signs the checkpoints of the audit chain with it');
  const auditSigner = ed25519SignerFromPem(readFileSync(config.AUDIT_SIGNING_KEY_FILE), 'AUDIT_SIGNING_KEY_FILE');
  const logger = pino({ level: config.LOG_LEVEL });
  installRuntimeLogger(logger);
  if (!config.PAYLOAD_ENCRYPTION_KEY_FILE) logger.warn('PAYLOAD_ENCRYPTION_KEY_FILE is not set: Temporal receives payloads in clear');
  const temporalOptions = temporalConnectionOptions(config, (file) => readFileSync(file));
  const connection = await NativeConnection.connect(temporalOptions);
  const clientConnection = await Connection.connect(temporalOptions);
  const dataConverter = payloadDataConverter(config, (file) => readFileSync(file));
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter });
  // A start that sets a search attribute the namespace lacks fails: refuse to run on a half-set-up namespace.
  const { customAttributes } = await clientConnection.operatorService.listSearchAttributes({ namespace: config.TEMPORAL_NAMESPACE });
  const missing = missingSearchAttributes(customAttributes ?? {});
  if (missing.length) {
    throw new Error(`namespace ${config.TEMPORAL_NAMESPACE} lacks the search attributes ${missing.join(', ')}: run \`npx tsx scripts/temporalNamespace.ts\``);
  }
  const pool = createPool(config.DATABASE_URL);
  const verifierPool = config.AUDIT_DATABASE_URL ? createPool(config.AUDIT_DATABASE_URL, 2) : pool;
  const policy = { ...(await loadPolicy(config.POLICY_FILE)), commandKey: config.COMMAND_PUBLIC_KEY };
  // Bounded so a hung mail server fails the activity attempt, which Temporal retries.
  const mailer = nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    dataConverter,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    ...(config.WORKFLOW_BUNDLE_PATH && { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } }),
    activities: createActivities({
      pool,
      mailer,
      mailFrom: config.MAIL_FROM,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      currentPolicy: () => policy,
      auditCheckpoints: { pool: verifierPool, signer: auditSigner, walkFromGenesisEveryMs: config.AUDIT_WALK_FROM_GENESIS_EVERY_HOURS * 3_600_000 },
    }),
  });
  // Worker.run() shuts down gracefully on SIGINT and SIGTERM.
  const running = worker.run();
  // Beside the running worker, so tasks are served while every system's schedule is brought to a new policy.
  await ensureDigestSchedule(temporal, config.TEMPORAL_TASK_QUEUE, policy);
  await ensureAuditCheckpointSchedule(temporal, config.TEMPORAL_TASK_QUEUE, config.AUDIT_CHECKPOINT_EVERY_SECONDS * 1000);
  await syncReviewSchedulesToNewPolicy({ pool, temporal, taskQueue: config.TEMPORAL_TASK_QUEUE }, policy);
  await running;
  await Promise.all([pool.end(), ...(verifierPool === pool ? [] : [verifierPool.end()]), connection.close(), clientConnection.close()]);
  mailer.close();
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
