import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundleOptions } from '../worker/createWorker';

const silent = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

describe('the workflow bundle', () => {
  it('builds as the image and the tests build it: workflow code imports nothing with I/O', async () => {
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions, logger: silent });
    expect(bundle.code).toContain('intakeWorkflow');
    expect(bundle.code).toContain('humanTaskWorkflow');
  });

  it('would fail the build if workflow code imported a Node module', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'aims-flow-bad-workflow-'));
    const badWorkflow = path.join(dir, 'index.ts');
    await writeFile(badWorkflow, "import { readFileSync } from 'node:fs';\nexport async function leaky() { return readFileSync('/etc/hostname', 'utf8'); }\n");
    await expect(bundleWorkflowCode({ workflowsPath: badWorkflow, logger: silent })).rejects.toThrow();
  });
});
