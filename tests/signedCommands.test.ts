import { WorkflowUpdateFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandSigner } from '../api/commandSigner';
import {
  amendSubjectUpdate,
  decideTaskUpdate,
  delegateTaskUpdate,
  platformPrincipalId,
  reassignTaskUpdate,
  requestWithdrawnSignal,
  subjectAmendedSignal,
  subjectChangedSignal,
  taskProgressQuery,
  withdrawIntakeUpdate,
  withdrawTaskUpdate,
  workflowIds,
} from '../workflows/contracts';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { temporal } from '@temporalio/proto';
import { triageOnlyPolicy } from './helpers/policies';
import { newEd25519Pem } from './helpers/keys';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

async function openTriage(name: string) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  expect(filed.status).toBe(202);
  const systemId = filed.body.systemId as string;
  const task = await h.openTask(systemId, 'intake_triage');
  return { systemId, taskId: task.id as string, snapshotHash: task.subjectHash as string, handle: h.temporal.workflow.getHandle(workflowIds.task(task.id)) };
}

/** What the workflow's validator answered: the refusal type, or 'accepted'. */
const refusalOf = (update: Promise<unknown>) =>
  update.then(
    () => 'accepted',
    (error: unknown) => (error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string })?.type : Promise.reject(error)),
  );

describe('commands sent straight to Temporal', () => {
  it('refuse a decision that is unsigned, altered, for another task, under another update id, expired or signed by another key', async () => {
    const { taskId, snapshotHash, handle } = await openTriage('Targeted by a forger');
    const other = await openTriage('Another task');
    const workflowId = workflowIds.task(taskId);
    const accept = { actorId: 'lead', choice: 'accept', snapshotHash };
    const send = (args: object, updateId: string) => refusalOf(handle.executeUpdate(decideTaskUpdate, { args: [args as typeof accept], updateId }));

    expect(await send(accept, 'unsigned')).toBe('CommandNotSigned');
    const signedReject = h.signCommand('decideTask', workflowId, 'altered', { ...accept, choice: 'reject' });
    expect(await send({ ...signedReject, choice: 'accept' }, 'altered')).toBe('CommandNotSigned');
    expect(await send({ ...signedReject, actorId: 'approver' }, 'altered')).toBe('CommandNotSigned');
    expect(await send(h.signCommand('decideTask', workflowIds.task(other.taskId), 'other-task', accept), 'other-task')).toBe('CommandNotSigned');
    expect(await send(h.signCommand('decideTask', workflowId, 'first-id', accept), 'second-id')).toBe('CommandNotSigned');
    expect(await send(h.signCommand('delegateTask', workflowId, 'other-command', accept), 'other-command')).toBe('CommandNotSigned');
    const signedLongAgo = createCommandSigner(h.commandSigningKey, undefined, () => Date.now() - 3 * 60_000);
    expect(await send({ ...accept, signed: signedLongAgo.sign({ name: 'decideTask', workflowId, updateId: 'stale', args: accept }) }, 'stale')).toBe(
      'CommandExpired',
    );
    const stranger = createCommandSigner(newEd25519Pem());
    expect(await send({ ...accept, signed: stranger.sign({ name: 'decideTask', workflowId, updateId: 'stranger', args: accept }) }, 'stranger')).toBe(
      'CommandNotSigned',
    );

    const progress = await handle.query(taskProgressQuery);
    expect(progress).toMatchObject({ status: 'open', votes: [] });
    const detail = await h.api('GET', `/api/v1/tasks/${taskId}`, { as: 'lead' });
    expect(detail.body.task.status).toBe('open');
    expect(detail.body.decisions).toEqual([]);

    // The real door still decides, as the lead.
    expect((await h.decide(taskId, 'lead', 'accept')).status).toBe(200);
  });

  it('apply a genuine signed command once: sent again under its update id, it answers with the first result and counts no second vote', async () => {
    h.usePolicy({
      ...triageOnlyPolicy,
      tasks: {
        ...triageOnlyPolicy.tasks,
        intake_triage: { ...triageOnlyPolicy.tasks.intake_triage, steps: [{ role: 'governance_lead', rule: { type: 'all' } }] },
      },
    });
    const { taskId, snapshotHash, handle } = await openTriage('Replayed by a forger');
    const signed = h.signCommand('decideTask', workflowIds.task(taskId), 'lead-accepts', { actorId: 'lead', choice: 'accept', snapshotHash });
    const first = await handle.executeUpdate(decideTaskUpdate, { args: [signed], updateId: 'lead-accepts' });
    const replayed = await handle.executeUpdate(decideTaskUpdate, { args: [signed], updateId: 'lead-accepts' });
    expect(replayed).toEqual(first);
    expect((await handle.query(taskProgressQuery)).votes).toEqual([expect.objectContaining({ actorId: 'lead', choice: 'accept' })]);
    h.usePolicy(triageOnlyPolicy);
  });

  it('refuse an unsigned reassignment, delegation, withdrawal or amendment, of a task and of the intake', async () => {
    const { systemId, taskId, handle } = await openTriage('Every command signed');
    const updateId = 'forged';
    expect(
      await refusalOf(handle.executeUpdate(reassignTaskUpdate, { args: [{ actorId: 'lead', fromId: 'lead', toId: 'approver', reason: 'forged' }], updateId })),
    ).toBe('CommandNotSigned');
    expect(await refusalOf(handle.executeUpdate(delegateTaskUpdate, { args: [{ actorId: 'lead', toId: 'approver' }], updateId }))).toBe('CommandNotSigned');
    expect(await refusalOf(handle.executeUpdate(withdrawTaskUpdate, { args: [{ actorId: 'owner' }], updateId }))).toBe('CommandNotSigned');
    expect(
      await refusalOf(handle.executeUpdate(amendSubjectUpdate, { args: [{ actorId: 'owner', submission: sampleIntake({ name: 'Hijacked' }) }], updateId })),
    ).toBe('CommandNotSigned');
    const intake = h.temporal.workflow.getHandle(workflowIds.intake(systemId));
    expect(await refusalOf(intake.executeUpdate(withdrawIntakeUpdate, { args: [{ actorId: 'owner' }], updateId }))).toBe('CommandNotSigned');

    const progress = await handle.query(taskProgressQuery);
    expect(progress.assignees.map((seat) => seat.principalId)).toEqual(['lead']);
    expect(progress.status).toBe('open');
    expect((await h.decide(taskId, 'lead', 'accept')).status).toBe(200);
    expect(await intake.result()).toMatchObject({ state: 'active' });
  });

  it('ignore forged signals that would withdraw a task, amend the intake or change what the task decides on', async () => {
    const { systemId, taskId, snapshotHash, handle } = await openTriage('Signalled by a forger');
    const intake = h.temporal.workflow.getHandle(workflowIds.intake(systemId));
    await handle.signal(requestWithdrawnSignal, { actorId: 'owner', reason: 'forged' });
    await handle.signal(requestWithdrawnSignal, { actorId: platformPrincipalId, reason: 'forged' });
    await handle.signal(requestWithdrawnSignal, {
      actorId: 'owner',
      forwarded: { name: 'withdrawIntake', workflowId: workflowIds.intake(systemId), updateId: 'forged' },
      signed: { expiresAt: Date.now() + 60_000, signatures: [] },
    });
    await intake.signal(subjectAmendedSignal, { taskId, actorId: 'owner', submission: sampleIntake({ name: 'Hijacked' }) });
    await handle.signal(subjectChangedSignal, { subject: { hash: 'f'.repeat(64), version: 9 }, tier: 'low' });

    // The decision comes after the signals in the task's history: it meets the task as the signals left it.
    const decided = await h.decide(taskId, 'lead', 'accept');
    expect(decided.status).toBe(200);
    expect(decided.body.taskStatus).toBe('decided');
    expect((await handle.query(taskProgressQuery)).subject).toMatchObject({ hash: snapshotHash, version: 1 });
    expect(await intake.result()).toMatchObject({ state: 'active' });
    expect((await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.system.name).toBe('Signalled by a forger');
  });
});

describe('a genuine amendment, forwarded from the task to the intake', () => {
  it('is applied once: its signal sent again, as copied from the history, changes nothing', async () => {
    const { systemId, taskId, handle } = await openTriage('Amended once');
    const submission = sampleIntake({ name: 'Amended once', purpose: 'Amended purpose' });
    const amendment = h.signCommand('amendSubject', workflowIds.task(taskId), 'owner-amends', { actorId: 'owner', submission });
    const amended = await handle.executeUpdate(amendSubjectUpdate, { args: [amendment], updateId: 'owner-amends' });
    expect(amended.version).toBe(2);

    const intake = h.temporal.workflow.getHandle(workflowIds.intake(systemId));
    await intake.signal(subjectAmendedSignal, {
      ...amendment,
      taskId,
      forwarded: { name: 'amendSubject', workflowId: workflowIds.task(taskId), updateId: 'owner-amends' },
    });
    // Once the intake has handled the copy (a workflow task completed after its signal), it has scheduled nothing for it.
    const { EventType } = temporal.api.enums.v1;
    const afterCopy = await eventually(async () => {
      const events = (await intake.fetchHistory()).events ?? [];
      const signals = events.flatMap((event, index) => (event.workflowExecutionSignaledEventAttributes?.signalName === 'subjectAmended' ? [index] : []));
      if (signals.length < 2) return undefined;
      const rest = events.slice(signals[1] + 1);
      return rest.some((event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) ? rest : undefined;
    });
    expect(afterCopy.filter((event) => event.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).toEqual([]);
    const revisions = (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.history.filter(
      (event: { type: string }) => event.type === 'system.intake_revised',
    );
    expect(revisions).toHaveLength(1);
  });
});

describe('a rotation of the signing key', () => {
  it('keeps tasks started under the previous key decidable, while new processes start under the new one', async () => {
    const { taskId } = await openTriage('Started before the rotation');
    const before = { signer: h.deps.commandSigner, policy: h.deps.policy };
    try {
      h.deps.commandSigner = createCommandSigner(newEd25519Pem(), h.commandSigningKey);
      h.deps.policy = { ...h.deps.policy, commandKey: h.deps.commandSigner.publicKey };
      const after = await openTriage('Started after the rotation');
      expect((await h.decide(taskId, 'lead', 'accept')).status).toBe(200);
      expect((await h.decide(after.taskId, 'lead', 'accept')).status).toBe(200);
    } finally {
      Object.assign(h.deps, before);
    }
  });
});
