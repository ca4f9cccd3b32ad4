import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

export const workflowsPath = path.join(__dirname, '../workflows/index.ts');

/** A worker for the aims-flow task queue; tests pass a bundle built once per run. */
export function createWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** The clients' data converter: payloads sealed by one are opened by the other. */
  dataConverter?: WorkerOptions['dataConverter'];
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  const { workflowBundle, ...rest } = options;
  return Worker.create({ ...rest, ...(workflowBundle ? { workflowBundle } : { workflowsPath }) });
}
