import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rememberResult } from '../db/localActivityResults';
import { activityFailures } from '../domain/failures';
import { intakeRequestSchema } from '../domain/system';
import { startHarness, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';
import { sampleAssessment, sampleIntake } from './helpers/samples';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

/**
 * One workflow run's local activities, called as its worker calls them: each with its place in the
 * run. `again(n)` runs the n-th once more, as a worker does when the workflow task that ran it was lost.
 */
function localRun() {
  const runId = randomUUID();
  const calls: (() => Promise<unknown>)[] = [];
  const inPlace = <T>(seq: number, activityType: string, call: () => Promise<T>) =>
    new MockActivityEnvironment({ isLocal: true, activityId: String(seq), activityType, workflowExecution: { workflowId: `run-${runId}`, runId } }).run(
      call,
    ) as Promise<T>;
  return {
    call<K extends keyof Harness['activities']>(
      name: K,
      ...args: Parameters<Harness['activities'][K]>
    ): Promise<Awaited<ReturnType<Harness['activities'][K]>>> {
      const seq = calls.length + 1;
      const activity = h.activities[name] as (...input: unknown[]) => Promise<any>;
      const call = () => activity(...args);
      calls.push(() => inPlace(seq, name, call));
      return inPlace(seq, name, call);
    },
    again: (seq: number) => calls[seq - 1](),
    runId,
  };
}

const auditEvents = async (systemId: string) => (await h.pool.query('SELECT count(*)::int AS n FROM audit_events WHERE system_id = $1', [systemId])).rows[0].n;
const stateOf = async (systemId: string) => (await h.pool.query('SELECT state FROM ai_systems WHERE id = $1', [systemId])).rows[0].state;

describe('a local activity run again after its workflow task was lost', () => {
  it('succeeds and changes nothing when the moves after it already ran', async () => {
    const systemId = randomUUID();
    const run = localRun();
    await run.call('registerSystem', { systemId, ownerId: h.people.owner.id, intake: intakeRequestSchema.parse(sampleIntake()), policyVersion: 'test' });
    await run.call('transitionSystem', { systemId, to: 'assessment', reason: 'triage accepted', eventKey: `${systemId}:assessment` });
    await run.call('transitionSystem', { systemId, to: 'risk_treatment', reason: 'assessed', eventKey: `${systemId}:risk_treatment` });
    await run.call('activateSystem', {
      systemId,
      nextReviewDue: new Date(Date.now() + 86_400_000).toISOString(),
      reason: 'treated',
      eventKey: `${systemId}:active`,
    });
    const events = await auditEvents(systemId);

    for (const seq of [2, 3, 4]) await run.again(seq);

    expect(await stateOf(systemId)).toBe('active');
    expect(await auditEvents(systemId)).toBe(events);
    // The same move in another run, or scheduled on the server, is a new move: from active it is refused.
    await expect(
      localRun().call('transitionSystem', { systemId, to: 'assessment', reason: 'triage accepted', eventKey: `${systemId}:assessment` }),
    ).rejects.toThrow("cannot move to 'assessment'");
  });

  it('answers what it answered the first time, not what the activities after it changed', async () => {
    const systemId = await h.fileAcceptedSystem('Re-assessed after a lost task');
    const run = localRun();
    const first = await run.call('nextAssessmentVersions', { systemId });
    await run.call('saveImpactAssessment', { systemId, version: first.assessment, content: sampleAssessment(), submittedBy: h.people.owner.id });

    expect(await run.again(1)).toEqual(first);
    expect(await localRun().call('nextAssessmentVersions', { systemId })).toEqual({ ...first, assessment: first.assessment + 1 });
  });

  it('keeps a rerun of a triage or an intake revision from bumping the system’s version again, even without its answer kept', async () => {
    const systemId = randomUUID();
    const run = localRun();
    await run.call('registerSystem', { systemId, ownerId: h.people.owner.id, intake: intakeRequestSchema.parse(sampleIntake()), policyVersion: 'test' });
    await run.call('recordTriage', { systemId, version: 1, triage: { tier: 'low', ruleId: 'default', reason: 'no triage rule matched' } });
    await run.call('reviseIntake', {
      systemId,
      version: 2,
      intake: intakeRequestSchema.parse(sampleIntake({ name: 'Revised' })),
      actorId: 'owner',
      reason: 'amendment',
    });
    const versionOf = async () => (await h.pool.query('SELECT version FROM ai_systems WHERE id = $1', [systemId])).rows[0].version;
    const version = await versionOf();

    // As when the worker died between an activity's commit and the keeping of its answer.
    await h.pool.query('DELETE FROM local_activity_results WHERE run_id = $1', [run.runId]);
    await run.again(2);
    await run.again(3);

    expect(await versionOf()).toBe(version);
  });

  it('answers alike in two attempts at once: the one finishing second gives the first answer kept', async () => {
    const place = { runId: randomUUID(), activitySeq: '1', activityType: 'nextAssessmentVersions', argsHash: 'same call' };

    expect(await rememberResult(h.pool, place, { assessment: 1, plan: 1 })).toEqual({ assessment: 1, plan: 1 });
    expect(await rememberResult(h.pool, place, { assessment: 2, plan: 1 })).toEqual({ assessment: 1, plan: 1 });
    // Another call in that place (a handler run first on a retried task) is answered with its own.
    expect(await rememberResult(h.pool, { ...place, argsHash: 'other call' }, { assessment: 3, plan: 1 })).toEqual({ assessment: 3, plan: 1 });
  });
});

describe('an activity on a record that is not there', () => {
  it('fails for good, since no retry makes the record appear', async () => {
    const missing = randomUUID();
    await expect(
      new MockActivityEnvironment().run(() =>
        h.activities.transitionSystem({ systemId: missing, to: 'assessment', reason: 'triage accepted', eventKey: `${missing}:x` }),
      ),
    ).rejects.toMatchObject({ type: activityFailures.notFound, nonRetryable: true, message: `AI system ${missing} does not exist` });
  });
});
