import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triageOnlyPolicy } from '../helpers/policies';
import { acceptIntoService, expectNothingLost, fileIntake, startFaultPlatform, type FaultPlatform } from './platform';

const restartableCluster = Boolean(process.env.TEMPORAL_CLUSTER_DIR);

let p: FaultPlatform;
const accepted: string[] = [];
beforeAll(async () => {
  p = await startFaultPlatform({ policy: triageOnlyPolicy });
});
afterAll(() => p?.stop());

describe('R2: the Temporal server restarted under load', () => {
  it.skipIf(!restartableCluster)('loses no accepted intake: accepted = workflows = rows', async () => {
    const worker = p.startWorker();
    const intakes = 40;
    let next = 0;
    let restarted: Promise<{ stdout: string; tookMs: number }> | undefined;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < intakes) {
          const index = next++;
          // A third of the way in, while requests and workflow tasks are in flight.
          if (index === Math.floor(intakes / 3)) {
            const restartAt = Date.now();
            restarted = promisify(execFile)('bash', [path.join(__dirname, '../../scripts/temporal-cluster.sh'), 'restart'], { env: process.env }).then(
              ({ stdout }) => ({
                stdout,
                tookMs: Date.now() - restartAt,
              }),
            );
          }
          const systemId = await fileIntake(p, `Fault R2 ${index}`);
          accepted.push(systemId);
          await acceptIntoService(p, systemId);
        }
      }),
    );
    const restart = await restarted!;
    expect(restart.stdout.trim()).toBe(process.env.TEST_TEMPORAL_ADDRESS);
    console.info(
      `R2: ${intakes} intakes accepted and in service ${Math.round((Date.now() - started) / 1000)} s after the first, across a server restart that took ${Math.round(restart.tookMs / 1000)} s`,
    );
    await expectNothingLost(p, { systemIds: accepted });
    await p.kill(worker, 'SIGTERM');
  });
});
