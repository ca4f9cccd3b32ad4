/**
 * Bundles the workflow code once, at image build, into the file a worker loads through
 * WORKFLOW_BUNDLE_PATH: a worker then starts in a second, with no bundler work at run time.
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../worker/createWorker';

async function main() {
  const out = process.argv[2];
  if (!out) throw new Error('usage: bundleWorkflows <output file>');
  const { code } = await bundleWorkflowCode(workflowBundleOptions);
  await writeFile(out, code);
  console.log(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
