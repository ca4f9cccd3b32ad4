import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleIds, workflowTypes } from '../../workflows/contracts';
import { eventually } from '../helpers/harness';
import { reviewPolicy } from '../helpers/policies';
import { acceptIntoService, fileIntake, startFaultPlatform, type FaultPlatform } from './platform';

const reviewEvery = '20s';

let p: FaultPlatform;
beforeAll(async () => {
  p = await startFaultPlatform({ policy: reviewPolicy(reviewEvery) });
});
afterAll(() => p?.stop());

describe('R5: a Temporal Schedule fires while no worker runs', () => {
  it('runs the review late, once, when a worker is back', async () => {
    const worker = p.startWorker();
    const systemId = await fileIntake(p, 'Fault R5 reviewed while the workers are away');
    await acceptIntoService(p, systemId);
    await p.kill(worker, 'SIGTERM');
    const schedule = p.h.temporal.schedule.getHandle(scheduleIds.review(systemId));

    // The server starts the run at its time whether or not a worker polls; nothing runs it yet.
    const fired = await eventually(async () => (await schedule.describe()).info.recentActions[0], 60_000);
    const run = p.h.temporal.workflow.getHandle(fired.action.workflow.workflowId);
    const waiting = await run.describe();
    expect(waiting.status.name).toBe('RUNNING');
    expect(waiting.historyLength).toBeLessThanOrEqual(2);

    const lateBy = Date.now();
    p.startWorker();
    const attestation = await eventually(async () => {
      const detail = await p.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
      return detail.body.openTasks?.find((task: { kind: string }) => task.kind === 'review_attestation');
    }, 60_000);
    console.info(
      `R5: the review fired at ${fired.takenAt.toISOString()} with no worker and opened its attestation ${Math.round((Date.now() - lateBy) / 1000)} s after a worker came back`,
    );
    expect(attestation.assignees.map((seat: { principalId: string }) => seat.principalId)).toContain('owner');
    const runs = [];
    for await (const execution of p.h.temporal.workflow.list({ query: `AimsSystemId = "${systemId}" AND WorkflowType = "${workflowTypes.periodicReview}"` }))
      runs.push(execution.workflowId);
    expect(runs).toEqual([fired.action.workflow.workflowId]);
    expect((await schedule.describe()).info.recentActions).toHaveLength(1);
  });
});
