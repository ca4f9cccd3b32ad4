/**
 * Raw Temporal's worker as a process of its own, for the memory bench: the raw workflow from a bundle
 * built beforehand (so no bundler sits in its memory, as none sits in aims-flow's worker), no payload
 * codec, and the same workflow cache size as aims-flow's worker.
 */
import { NativeConnection, Worker } from '@temporalio/worker';

async function main() {
  const { TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE, RAW_WORKFLOW_BUNDLE, WORKER_MAX_CACHED_WORKFLOWS } = process.env;
  if (!TEMPORAL_ADDRESS || !TEMPORAL_NAMESPACE || !TEMPORAL_TASK_QUEUE || !RAW_WORKFLOW_BUNDLE) throw new Error('rawWorker: missing environment');
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: TEMPORAL_ADDRESS }),
    namespace: TEMPORAL_NAMESPACE,
    taskQueue: TEMPORAL_TASK_QUEUE,
    workflowBundle: { codePath: RAW_WORKFLOW_BUNDLE },
    ...(WORKER_MAX_CACHED_WORKFLOWS && { maxCachedWorkflows: Number(WORKER_MAX_CACHED_WORKFLOWS) }),
  });
  await worker.run();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
