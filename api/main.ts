import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { createPool } from '../db/pool';
import { ConfigError, parseConfig, temporalConnectionOptions } from '../domain/config';
import { missingSearchAttributes } from '../workflows/contracts';
import { createApp, createMetricsApp } from './app';
import { commandSignerFrom } from './commandSigner';
import { createApiLogger } from './logging';
import { createMetrics } from './metrics';
import { payloadDataConverter } from './payloadCodec';
import { loadPolicy } from './policy';

async function main() {
  const config = parseConfig(process.env);
  const logger = createApiLogger(config.LOG_LEVEL);
  const commandSigner = commandSignerFrom(config, (file) => readFileSync(file));
  if (!config.AUDIT_PUBLIC_KEYS)
    throw new ConfigError("AUDIT_PUBLIC_KEYS is required: evidence packs vouch for the audit chain only under checkpoints the worker's verifier signed");
  if (!config.PAYLOAD_ENCRYPTION_KEY_FILE) logger.warn('PAYLOAD_ENCRYPTION_KEY_FILE is not set: Temporal receives payloads in clear');
  const policy = { ...(await loadPolicy(config.POLICY_FILE)), commandKey: commandSigner.publicKey };
  // Lazy: the api starts, and answers 503, while Temporal is still coming up.
  const connection = Connection.lazy(temporalConnectionOptions(config, (file) => readFileSync(file)));
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: payloadDataConverter(config, (file) => readFileSync(file)) });
  const pool = createPool(config.DATABASE_URL);
  const mailer = nodemailer.createTransport({ url: config.SMTP_URL, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 });
  const metrics = createMetrics(pool);
  const app = createApp(
    {
      pool,
      temporal,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      policy,
      commandSigner,
      auditPublicKeys: config.AUDIT_PUBLIC_KEYS,
      logger,
      temporalUiUrl: config.TEMPORAL_UI_URL,
      temporalDeadlineMs: config.TEMPORAL_CALL_TIMEOUT_MS,
      mailer,
      mailFrom: config.MAIL_FROM,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      ...(config.TRUST_PROXY !== undefined && { trustProxy: config.TRUST_PROXY }),
      rateLimits: {
        perAddressPerMinute: config.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
        perPrincipalPerMinute: config.RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE,
        incidentsPerReporterPerHour: config.INCIDENT_REPORTS_PER_REPORTER_PER_HOUR,
      },
    },
    metrics,
  );
  const metricsServer = createMetricsApp(metrics).listen(config.METRICS_PORT, config.METRICS_HOST, () =>
    logger.info({ host: config.METRICS_HOST, port: config.METRICS_PORT }, 'metrics listening'),
  );
  const server = app.listen(config.PORT, () => logger.info({ port: config.PORT, policyVersion: policy.version }, 'api listening'));
  // Temporal may still be coming up, so the api starts anyway; /readyz stays 503 until the namespace is set up.
  connection.operatorService
    .listSearchAttributes({ namespace: config.TEMPORAL_NAMESPACE })
    .then(({ customAttributes }) => {
      const missing = missingSearchAttributes(customAttributes ?? {});
      if (missing.length)
        logger.error({ namespace: config.TEMPORAL_NAMESPACE, missing }, 'the Temporal namespace lacks search attributes; run scripts/temporalNamespace.ts');
    })
    .catch((error: unknown) => logger.warn({ err: error }, 'Temporal is not reachable yet; /readyz answers 503 until it is'));
  const stop = () => {
    metricsServer.close();
    server.close(async () => {
      await Promise.all([pool.end(), connection.close()]);
      process.exit(0);
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
