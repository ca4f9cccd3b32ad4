import path from 'node:path';
import { NativeConnection, Worker, type BundleOptions, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

/** A module's file beside this one: `.ts` when run from source, `.js` in the compiled image. */
const moduleFile = (relative: string) => path.join(__dirname, `${relative}${path.extname(__filename)}`);

export const workflowsPath = moduleFile('../workflows/index');

/** Loaded once per reusable V8 context and shared by its workflows (see the module). */
export const sharedWorkflowModules = [moduleFile('../workflows/sharedModules')];

/** How every workflow bundle is built: by the image build, the test run and a worker without a prebuilt bundle. */
export const workflowBundleOptions = { workflowsPath, preloadModules: sharedWorkflowModules } satisfies BundleOptions;

/** A worker for the aims-flow task queue; tests pass a bundle built once per run. */
export function createWorker(options: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** The clients' data converter: payloads sealed by one are opened by the other. */
  dataConverter?: WorkerOptions['dataConverter'];
  workflowBundle?: WorkerOptions['workflowBundle'];
  maxCachedWorkflows?: number;
}): Promise<Worker> {
  const { workflowBundle, ...rest } = options;
  return Worker.create({
    ...rest,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath, bundlerOptions: { preloadModules: sharedWorkflowModules } }),
  });
}
