import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { workflowTypes } from '../workflows/contracts';

/**
 * Histories recorded from real runs are replayed against the current workflow code, so a change
 * that is not deterministic (or not guarded with patched()) fails here before it reaches a server
 * with workflows in flight. `npm run record-histories` only adds histories: every one ever recorded replays here.
 */
const historiesDir = path.join(__dirname, 'histories');

describe('replay of recorded workflow histories', () => {
  it('replays every recorded history of every workflow type without a nondeterminism error', async () => {
    const files = (await readdir(historiesDir)).filter((file) => file.endsWith('.json')).sort();
    const histories = await Promise.all(
      files.map(async (file) => ({
        file,
        ...(JSON.parse(await readFile(path.join(historiesDir, file), 'utf8')) as { workflowId: string; workflowType: string; history: unknown }),
      })),
    );
    expect(new Set(histories.map((h) => h.workflowType))).toEqual(new Set(Object.values(workflowTypes)));

    const results = Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') }, replayName: 'recorded-histories' },
      histories.map(({ workflowId, history }) => ({ workflowId, history: historyFromJSON(history) })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });
});
