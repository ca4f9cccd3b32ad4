import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, type CastMember, type Harness } from './helpers/harness';
import { withTriage } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraGovernanceLead: true });
});
afterAll(() => h?.stop());

interface Event {
  type: string;
  actorId: string | null;
  data: Record<string, any>;
}

async function fileIntake(name: string, overrides: Parameters<typeof sampleIntake>[0] = {}) {
  const response = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name, ...overrides }) });
  expect(response.status).toBe(202);
  return response.body.systemId as string;
}

const openTriage = (systemId: string) => h.openTask(systemId, 'intake_triage');

const taskDetail = async (taskId: string) => (await h.api('GET', `/api/v1/tasks/${taskId}`, { as: 'lead' })).body;
const seated = (task: { assignees: { principalId: string }[] }) => task.assignees.map((assignee) => assignee.principalId);
const eventsOf = (history: Event[], type: string) => history.filter((event) => event.type === type);

async function systemInState(systemId: string, state: string) {
  return eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return body.system?.state === state ? body : undefined;
  });
}

async function outboxRecipients(taskId: string) {
  const { rows } = await h.pool.query<{ recipient_id: string }>('SELECT recipient_id FROM outbox WHERE task_id = $1 ORDER BY created_at', [taskId]);
  return rows.map((row) => row.recipient_id);
}

describe('approval rules', () => {
  it('under rule all, keeps the task open after one of two leads accepts and closes it when the second does; one reject settles it', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead', rule: { type: 'all' } }] }));
    const systemId = await fileIntake('Two-key model');
    const task = await openTriage(systemId);
    expect(seated(task)).toEqual(['lead', 'lead2']);

    const first = await h.decide(task.id, 'lead', 'accept');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ choice: 'accept', taskStatus: 'open' });
    expect((await h.decide(task.id, 'lead', 'accept')).body.error).toBe('already_decided');
    expect((await taskDetail(task.id)).task.status).toBe('open');

    const second = await h.decide(task.id, 'lead2', 'accept');
    expect(second.body).toMatchObject({ choice: 'accept', taskStatus: 'decided' });
    await systemInState(systemId, 'assessment');

    const disputed = await fileIntake('Disputed model');
    const disputedTask = await openTriage(disputed);
    const reject = await h.decide(disputedTask.id, 'lead2', 'reject');
    expect(reject.body).toMatchObject({ choice: 'reject', taskStatus: 'decided' });
    const late = await h.decide(disputedTask.id, 'lead', 'accept');
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('task_closed');
    const detail = await systemInState(disputed, 'rejected');
    expect(detail.tasks[0]).toMatchObject({ status: 'decided', outcome: 'reject' });
  });

  it('under rule all, lowers a prohibited tier only when every lead who accepts overrides it, and refuses an override by others', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead', rule: { type: 'all' } }] }));
    const euAiAct = { roles: ['deployer' as const], euNexus: ['deployer_in_eu' as const], biometrics: { emotionRecognition: 'workplace' as const } };
    const prohibited = { useCategory: 'analytics' as const, impactAreas: [], dataCategories: [], euAiAct };
    const override = { classification: { verdict: 'overridden', tier: 'high', reason: 'the medical exception applies' } };

    const halfway = await fileIntake('Half-overridden meter', prohibited);
    const halfwayTask = await openTriage(halfway);
    const byApprover = await h.decide(halfwayTask.id, 'approver', 'accept', { submission: override });
    expect(byApprover).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await h.decide(halfwayTask.id, 'lead', 'accept', { submission: override })).body.taskStatus).toBe('open');
    // The second lead accepts the triage as it is: the prohibited tier stands, and the system never goes into service.
    expect((await h.decide(halfwayTask.id, 'lead2', 'accept')).body.taskStatus).toBe('decided');
    const stood = await systemInState(halfway, 'rejected');
    expect(stood.system.riskTier).toBe('prohibited');
    const [confirmed] = eventsOf(stood.history, 'system.triage_confirmed');
    expect(confirmed.data.verdicts).toEqual([{ actorId: 'lead', verdict: 'overridden', tier: 'high', reason: 'the medical exception applies' }]);

    const agreed = await fileIntake('Agreed meter', prohibited);
    const agreedTask = await openTriage(agreed);
    await h.decide(agreedTask.id, 'lead', 'accept', { submission: override });
    await h.decide(agreedTask.id, 'lead2', 'accept', { submission: override });
    const lowered = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/systems/${agreed}`, { as: 'lead' });
      return body.system?.triageRule === 'override' ? body : undefined;
    });
    expect(lowered.system.riskTier).toBe('high');
    expect(eventsOf(lowered.history, 'system.triage_overridden')[0]).toMatchObject({
      data: { overriddenTo: 'high', verdicts: [{ actorId: 'lead' }, { actorId: 'lead2' }] },
    });
  });

  it('under a quorum of 2, closes the task once two of the three approvers accept', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'approver', rule: { type: 'quorum', count: 2 } }] }));
    const systemId = await fileIntake('Quorum model');
    const task = await openTriage(systemId);
    expect(seated(task).sort()).toEqual(['approver', 'leadManager', 'ownerManager']);

    expect((await h.decide(task.id, 'approver', 'accept')).body.taskStatus).toBe('open');
    expect((await h.decide(task.id, 'leadManager', 'accept')).body.taskStatus).toBe('decided');
    const third = await h.decide(task.id, 'ownerManager', 'accept');
    expect(third.status).toBe(409);
    expect(third.body.error).toBe('task_closed');

    await systemInState(systemId, 'assessment');
    const { rows } = await h.pool.query('SELECT actor_id FROM decisions WHERE task_id = $1 ORDER BY decided_at', [task.id]);
    expect(rows.map((row) => row.actor_id)).toEqual(['approver', 'leadManager']);
  });
});

describe('sequential approval chains', () => {
  it('opens the executive step only after a governance lead accepts, and ends at step 1 on a reject', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead' }, { role: 'executive' }] }));
    const systemId = await fileIntake('Chained model');
    const task = await openTriage(systemId);
    expect(task).toMatchObject({ currentStep: 0, stepCount: 2 });
    await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.endsWith(': Chained model'));
    expect(await outboxRecipients(task.id)).not.toContain('executive');
    expect((await h.api('GET', '/api/v1/tasks?mine=true', { as: 'executive' })).body.tasks).toEqual([]);

    const first = await h.decide(task.id, 'lead', 'accept');
    expect(first.body).toMatchObject({ choice: 'accept', taskStatus: 'open' });
    const email = await h.mail.waitFor(
      (m) => m.to.includes(h.people.executive.email) && m.subject === 'Action needed: Triage an AI system intake: Chained model',
    );
    expect(email.links).toHaveLength(1);
    const mine = await h.api('GET', '/api/v1/tasks?mine=true&status=open', { as: 'executive' });
    expect(mine.body.tasks).toEqual([
      expect.objectContaining({ id: task.id, currentStep: 1, assignees: [expect.objectContaining({ principalId: 'executive', step: 1 })] }),
    ]);
    expect((await h.decide(task.id, 'lead2', 'accept')).body.error).toBe('not_assignee');

    expect((await h.decide(task.id, 'executive', 'accept')).body.taskStatus).toBe('decided');
    const detail = await systemInState(systemId, 'assessment');
    const history: Event[] = (await taskDetail(task.id)).history;
    expect(eventsOf(history, 'task.step_opened').map((event) => [event.data.step, event.data.role])).toEqual([
      [0, 'governance_lead'],
      [1, 'executive'],
    ]);
    expect(eventsOf(history, 'task.decided').map((event) => [event.actorId, event.data.step])).toEqual([
      ['lead', 0],
      ['executive', 1],
    ]);
    expect(detail.tasks[0]).toMatchObject({ status: 'decided', outcome: 'accept' });

    const stopped = await fileIntake('Stopped at step one');
    const stoppedTask = await openTriage(stopped);
    expect((await h.decide(stoppedTask.id, 'lead', 'reject')).body.taskStatus).toBe('decided');
    await systemInState(stopped, 'rejected');
    expect(eventsOf((await taskDetail(stoppedTask.id)).history, 'task.step_opened')).toHaveLength(1);
    expect(await outboxRecipients(stoppedTask.id)).not.toContain('executive');
  });

  it('gives a high-tier intake the longer chain of stepsByTier and a low-tier intake the default chain', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead' }], stepsByTier: { high: [{ role: 'governance_lead' }, { role: 'executive' }] } }));
    const high = await fileIntake('Credit scorer', { impactAreas: ['lending'] });
    const low = await fileIntake('Meeting notes');
    const highTask = await openTriage(high);
    const lowTask = await openTriage(low);
    expect(highTask.stepCount).toBe(2);
    expect(lowTask.stepCount).toBe(1);

    expect((await h.decide(highTask.id, 'lead', 'accept')).body.taskStatus).toBe('open');
    expect((await h.decide(lowTask.id, 'lead', 'accept')).body.taskStatus).toBe('decided');
    await systemInState(low, 'assessment');
    const atStep2 = await eventually(async () => {
      const { task } = await taskDetail(highTask.id);
      return task.currentStep === 1 ? task : undefined;
    });
    expect(seated(atStep2)).toEqual(['executive']);
    expect((await h.decide(highTask.id, 'executive', 'accept')).body.taskStatus).toBe('decided');
    const detail = await systemInState(high, 'assessment');
    expect(detail.system.riskTier).toBe('high');
  });
});

describe('snapshot binding', () => {
  it('refuses a decision on a stale snapshot, and restarts the approvals when the owner amends the intake', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead', rule: { type: 'all' } }] }));
    const intake = sampleIntake({ name: 'Drifting model' });
    const systemId = await fileIntake('Drifting model');
    const task = await openTriage(systemId);
    const originalHash = task.subjectHash;

    const stale = await h.api('POST', `/api/v1/tasks/${task.id}/decision`, { as: 'lead', body: { decision: 'accept', snapshotHash: 'f'.repeat(64) } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toBe('snapshot_mismatch');
    expect((await h.decide(task.id, 'lead', 'accept')).body.taskStatus).toBe('open');

    const amended = { ...intake, purpose: 'Summarises supplier invoices and flags duplicates for payment' };
    expect((await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'ownerAndLead', body: amended })).status).toBe(403);
    expect((await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'approver', body: amended })).status).toBe(403);
    const amendment = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'owner', body: amended });
    expect(amendment.status).toBe(200);
    expect(amendment.body).toMatchObject({ systemId, intakeVersion: 2, tier: 'low' });
    expect(amendment.body.intakeHash).not.toBe(originalHash);

    const restarted = await eventually(async () => {
      const { task: current } = await taskDetail(task.id);
      return current.subjectHash === amendment.body.intakeHash ? current : undefined;
    });
    expect(restarted).toMatchObject({ status: 'open', subjectVersion: 2, currentStep: 0 });
    const stepsOpened = eventsOf((await taskDetail(task.id)).history, 'task.step_opened');
    expect(stepsOpened.map((event) => event.data.subject)).toEqual([
      { hash: originalHash, version: 1 },
      { hash: amendment.body.intakeHash, version: 2 },
    ]);
    for (const person of ['lead', 'lead2'] as CastMember[]) {
      await eventually(async () => {
        const sent = h.mail.messages.filter(
          (m) => m.to.includes(h.people[person].email) && m.subject === 'Action needed: Triage an AI system intake: Drifting model',
        );
        return sent.length === 2 ? sent : undefined;
      });
    }

    const staleAfterAmendment = await h.api('POST', `/api/v1/tasks/${task.id}/decision`, {
      as: 'lead2',
      body: { decision: 'accept', snapshotHash: originalHash },
    });
    expect(staleAfterAmendment.body.error).toBe('snapshot_mismatch');
    expect((await h.decide(task.id, 'lead2', 'accept')).body.taskStatus).toBe('open');
    expect((await h.decide(task.id, 'lead', 'accept')).body.taskStatus).toBe('decided');
    await systemInState(systemId, 'assessment');
    const { rows } = await h.pool.query('SELECT actor_id, snapshot_hash FROM decisions WHERE task_id = $1 ORDER BY decided_at', [task.id]);
    expect(rows).toEqual([
      { actor_id: 'lead', snapshot_hash: originalHash },
      { actor_id: 'lead2', snapshot_hash: amendment.body.intakeHash },
      { actor_id: 'lead', snapshot_hash: amendment.body.intakeHash },
    ]);

    const tooLate = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'owner', body: { ...amended, purpose: 'Something else entirely' } });
    expect(tooLate.status).toBe(409);
    expect(tooLate.body.error).toBe('task_closed');
  });

  it('refuses an amendment sent right after the deciding vote, so the system keeps the intake that was triaged', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead' }] }));
    const intake = sampleIntake({ name: 'Decided model' });
    const systemId = await fileIntake('Decided model');
    const task = await openTriage(systemId);
    expect((await h.decide(task.id, 'lead', 'accept')).body.taskStatus).toBe('decided');

    const amendment = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'owner', body: { ...intake, impactAreas: ['lending'] } });
    expect(amendment.status).toBe(409);
    expect(amendment.body.error).toBe('task_closed');
    const detail = await systemInState(systemId, 'assessment');
    expect(detail.system).toMatchObject({ intake, riskTier: 'low' });
    expect(eventsOf(detail.history, 'system.intake_revised')).toEqual([]);
  });
});

describe('concurrent decisions', () => {
  it('lets exactly one of two leads racing under rule any decide, and the system follows the winner', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead' }] }));
    const systemId = await fileIntake('Contested model');
    const task = await openTriage(systemId);
    expect(seated(task)).toEqual(['lead', 'lead2']);

    const [byLead, byLead2] = await Promise.all([h.decide(task.id, 'lead', 'accept'), h.decide(task.id, 'lead2', 'reject')]);
    expect([byLead.status, byLead2.status].sort()).toEqual([200, 409]);
    const [winner, loser] = byLead.status === 200 ? [byLead, byLead2] : [byLead2, byLead];
    expect(winner.body.taskStatus).toBe('decided');
    expect(loser.body.error).toBe('task_closed');

    const detail = await systemInState(systemId, winner.body.choice === 'accept' ? 'assessment' : 'rejected');
    expect(detail.tasks[0]).toMatchObject({ status: 'decided', outcome: winner.body.choice });
    expect(eventsOf((await taskDetail(task.id)).history, 'task.decided')).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ choice: winner.body.choice }) }),
    ]);
  });
});
