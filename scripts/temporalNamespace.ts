/**
 * The one namespace set-up: the namespace and every search attribute of workflows/contracts.ts,
 * waiting until a workflow start that sets them succeeds. `npm start`, scripts/temporal-cluster.sh,
 * docker-compose.yml and the test lane on an existing server all use it.
 *
 *   tsx scripts/temporalNamespace.ts     # TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API key from the environment
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { parseConfig, temporalConnectionOptions, type TemporalConnectionOptions } from '../domain/config';
import { missingSearchAttributes, searchAttributes } from '../workflows/contracts';

const grpc = { notFound: 5, alreadyExists: 6, unavailable: 14 } as const;
const probeTaskQueue = 'aims-flow-namespace-probe';

async function retrying<T>(what: string, deadline: number, attempt: () => Promise<T | undefined>): Promise<T> {
  let lastError: unknown;
  for (let pause = 100; Date.now() < deadline; pause = Math.min(pause * 2, 2_000)) {
    try {
      const result = await attempt();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  throw new Error(`Temporal namespace set-up: ${what} did not succeed in time${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

const codeOf = (error: unknown) => (isGrpcServiceError(error) ? error.code : undefined);

export async function ensureNamespace(options: { connection: TemporalConnectionOptions; namespace: string; retentionDays?: number; timeoutMs?: number }) {
  const { namespace } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const connection = await retrying('connecting', deadline, () => Connection.connect({ ...options.connection, connectTimeout: 5_000 }));
  try {
    await retrying('registering the namespace', deadline, async () => {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return true;
      } catch (error) {
        if (codeOf(error) !== grpc.notFound) throw error;
      }
      await connection.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 30} days`) })
        .catch((error) => {
          if (codeOf(error) !== grpc.alreadyExists) throw error;
        });
      return undefined; // described again next round: a new namespace takes a moment to be found
    });

    // Right after registration the frontend may not know the namespace yet ("namespace not found"): retried.
    await retrying('adding the search attributes', deadline, async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = missingSearchAttributes(customAttributes ?? {});
      if (missing.length === 0) return true;
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
      });
      return undefined;
    });

    // Listed is not yet usable: a start that sets them fails until every frontend's cache has them.
    const client = new Client({ connection, namespace });
    await retrying('starting a workflow with the search attributes', deadline, async () => {
      const handle = await client.workflow.start('aimsFlowNamespaceProbe', {
        taskQueue: probeTaskQueue,
        workflowId: `aims-flow-namespace-probe-${Date.now()}`,
        typedSearchAttributes: Object.values(searchAttributes).map((key) => ({ key, value: 'probe' })),
      });
      await handle.terminate('namespace set-up probe');
      return true;
    });
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  const config = parseConfig(process.env);
  ensureNamespace({ connection: temporalConnectionOptions(config, (path) => readFileSync(path)), namespace: config.TEMPORAL_NAMESPACE })
    .then(() =>
      console.error(
        `temporal namespace ${config.TEMPORAL_NAMESPACE} is ready with ${Object.values(searchAttributes)
          .map((key) => key.name)
          .join(', ')}`,
      ),
    )
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
