import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyInput } from '../domain/policy';
import { scheduleIds, workflowIds } from '../workflows/contracts';
import { eventually, sampleIntake, startHarness, type CastMember, type Harness } from './helpers/harness';
import { calmPolicy, triageOnlyPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  // Two governance leads: one may ask for a retirement that the other approves.
  h = await startHarness({ extraGovernanceLead: true });
  // The harness has no security officer: Ada takes access revocation.
  await h.pool.query(`UPDATE principals SET roles = array_append(roles, 'security_officer') WHERE id = 'approver'`);
});
afterAll(() => h?.stop());

const checklist = ['retirement_data_disposal', 'retirement_access_revocation', 'retirement_user_notice', 'retirement_archive'] as const;
const today = () => new Date().toISOString().slice(0, 10);
const request = (retireOn = today()) => ({ reason: 'Replaced by the procurement platform’s own assistant', retireOn });
const seated = (task: { assignees: { principalId: string }[] }) => task.assignees.map((assignee) => assignee.principalId).sort();
const retirementOf = (systemId: string) => h.temporal.workflow.getHandle(workflowIds.retirement(systemId));
const historyOf = async (systemId: string) =>
  (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.history as { type: string; actorId: string | null; data: any }[];
const stateOf = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.system.state;

/** An intake that one triage accept puts into service, with its periodic review scheduled. */
async function activeSystem(name: string) {
  h.usePolicy(triageOnlyPolicy);
  const systemId = await h.fileAcceptedSystem(name);
  // Activation schedules the system's reviews.
  await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe();
  return systemId;
}

async function requestRetirement(systemId: string, as: CastMember = 'owner', retireOn = today()) {
  const response = await h.api('POST', `/api/v1/systems/${systemId}/retirement`, { as, body: request(retireOn) });
  expect(response.status).toBe(202);
  return response.body;
}

async function approveRetirement(systemId: string) {
  const approval = await h.openTask(systemId, 'retirement_approval');
  expect((await h.decide(approval.id, 'lead', 'approve')).status).toBe(200);
}

const openChecklist = (systemId: string, where: (task: any) => boolean = () => true) => Promise.all(checklist.map((kind) => h.openTask(systemId, kind, where)));

/** Each holder records their item done, with evidence naming it. */
async function completeChecklist(tasks: any[], ticket = 'RET-1') {
  for (const task of tasks) {
    const holder = seated(task)[0] as CastMember;
    const done = await h.decide(task.id, holder, 'done', { submission: { evidence: `${task.kind} done, see ticket ${ticket}` } });
    expect(done.status).toBe(200);
  }
}

describe('retirement', () => {
  it('retires an active system: approval, the four checklist items by role, sign-off, state retired, schedule deleted, evidence kept', async () => {
    const systemId = await activeSystem('Retired helper');
    const started = await requestRetirement(systemId);
    expect(started).toMatchObject({ systemId, workflowId: workflowIds.retirement(systemId), retirementId: expect.any(String) });

    const approval = await h.openTask(systemId, 'retirement_approval');
    expect(seated(approval)).toEqual(['lead', 'lead2']);
    // The requester (here the owner) never approves their own request.
    expect((await h.decide(approval.id, 'owner', 'approve')).status).toBe(403);
    expect((await h.decide(approval.id, 'lead', 'approve')).status).toBe(200);

    const tasks = await openChecklist(systemId);
    expect(tasks.map(seated)).toEqual([['privacy'], ['approver'], ['owner'], ['lead', 'lead2']]);
    expect(await stateOf(systemId)).toBe('retiring');
    await expect(h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe()).rejects.toThrow();
    await h.mail.waitFor(
      (m) => m.to.includes(h.people.privacy.email) && m.subject === 'Action needed: Retirement: retain or dispose of the data: Retired helper',
    );

    const withoutEvidence = await h.decide(tasks[0].id, 'privacy', 'done', { submission: {} });
    expect(withoutEvidence.status).toBe(400);
    await completeChecklist(tasks);

    const signoff = await h.openTask(systemId, 'retirement_signoff');
    expect(seated(signoff)).toEqual(['lead', 'lead2']);
    expect(signoff.subjectVersion).toBe(1);
    expect((await h.decide(signoff.id, 'lead2', 'approve')).status).toBe(200);
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'retired' });

    expect(await stateOf(systemId)).toBe('retired');
    await expect(h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe()).rejects.toThrow();
    const history = await historyOf(systemId);
    const types = history.map((event) => event.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'retirement.requested',
        'retirement.approved',
        'retirement.checklist_opened',
        'retirement.checklist_completed',
        'retirement.retired',
      ]),
    );
    expect(types.filter((type) => type === 'retirement.checklist_item_done')).toHaveLength(4);
    const moves = history.filter((event) => event.type === 'system.state_changed').map((event) => [event.data.from, event.data.to]);
    expect(moves.slice(-2)).toEqual([
      ['active', 'retiring'],
      ['retiring', 'retired'],
    ]);
    expect(history.find((event) => event.type === 'retirement.retired')?.actorId).toBe('lead2');

    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'owner' });
    expect(body.retirement).toMatchObject({ id: started.retirementId, status: 'retired', requesterId: 'owner', retireOn: today(), checklistRound: 1 });
    expect(body.retirement.checklist.map((item: any) => [item.item, item.status, item.doneBy])).toEqual([
      ['retirement_access_revocation', 'done', 'approver'],
      ['retirement_archive', 'done', 'lead'],
      ['retirement_data_disposal', 'done', 'privacy'],
      ['retirement_user_notice', 'done', 'owner'],
    ]);
    const { body: timeline } = await h.api('GET', `/api/v1/systems/${systemId}/timeline`, { as: 'lead' });
    expect(timeline.events.map((event: { summary: string }) => event.summary)).toContain(
      'Retirement checklist: data disposal done by privacy: retirement_data_disposal done, see ticket RET-1',
    );
    const { body: pack } = await h.api('GET', `/api/v1/systems/${systemId}/evidence`, { as: 'auditor' });
    expect(pack.retirements).toEqual([
      expect.objectContaining({
        status: 'retired',
        checklist: expect.arrayContaining([expect.objectContaining({ evidence: 'retirement_archive done, see ticket RET-1' })]),
      }),
    ]);

    const again = await h.api('POST', `/api/v1/systems/${systemId}/retirement`, { body: request() });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: 'not_retirable', message: "an AI system in state 'retired' cannot be retired" });

    // Harm can come to light after retirement: the incident is taken and runs its stages.
    const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      as: 'owner',
      body: { severity: 'high', description: 'Old answers still quoted to customers', occurredAt: new Date().toISOString() },
    });
    expect(reported.status).toBe(202);
    expect(await h.openTask(systemId, 'incident_acknowledgement')).toMatchObject({ status: 'open' });
  });

  it('cancels an onboarding system’s intake and open impact assessment when its retirement is approved', async () => {
    h.usePolicy(calmPolicy);
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Abandoned onboarding' }) });
    const systemId = filed.body.systemId as string;
    await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    const assessment = await h.openTask(systemId, 'impact_assessment');

    await requestRetirement(systemId);
    await approveRetirement(systemId);
    await openChecklist(systemId);

    for (const workflowId of [workflowIds.intake(systemId), workflowIds.assessment(systemId)]) {
      expect((await h.temporal.workflow.getHandle(workflowId).describe()).status.name).toBe('CANCELLED');
    }
    const { body: cancelled } = await h.api('GET', `/api/v1/tasks/${assessment.id}`, { as: 'lead' });
    expect(cancelled.task.status).toBe('cancelled');
    const history = await historyOf(systemId);
    expect(history).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'process.cancelled', data: expect.objectContaining({ process: 'intake' }) })]),
    );
    expect(history).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'task.closed', taskId: assessment.id, data: expect.objectContaining({ status: 'cancelled' }) })]),
    );
    expect(await stateOf(systemId)).toBe('retiring');
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'lead' });
    expect(body.retirement).toMatchObject({ status: 'retiring', checklistRound: 1 });
  });

  it('closes an open periodic review as cancelled when the retirement is approved, and a retired system has no next review', async () => {
    const systemId = await activeSystem('Reviewed, then retired');
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} })).status).toBe(202);
    const attestation = await h.openTask(systemId, 'review_attestation');

    await requestRetirement(systemId);
    await approveRetirement(systemId);
    await completeChecklist(await openChecklist(systemId));
    await h.decide((await h.openTask(systemId, 'retirement_signoff')).id, 'lead', 'approve');
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'retired' });

    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/reviews`, { as: 'lead' });
    expect(body.reviews).toHaveLength(1);
    expect(body.reviews[0]).toMatchObject({ status: 'cancelled', attestation: null, closedAt: expect.any(String) });
    const { body: task } = await h.api('GET', `/api/v1/tasks/${attestation.id}`, { as: 'lead' });
    expect(task.task.status).toBe('cancelled');
    const { body: detail } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    expect(detail.system).toMatchObject({ state: 'retired', nextReviewDue: null });
    const { body: evidence } = await h.api('GET', `/api/v1/systems/${systemId}/evidence`, { as: 'auditor' });
    expect(JSON.stringify(evidence)).not.toContain('"status":"open"');
  });

  it('leaves the system as it was when the retirement is rejected, and lets it be asked for again', async () => {
    const systemId = await activeSystem('Kept helper');
    await requestRetirement(systemId);
    const approval = await h.openTask(systemId, 'retirement_approval');
    expect((await h.decide(approval.id, 'lead', 'reject', { comment: 'still needed by accounts payable' })).status).toBe(200);
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'rejected' });

    expect(await stateOf(systemId)).toBe('active');
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe();
    const rejected = (await historyOf(systemId)).find((event) => event.type === 'retirement.rejected');
    expect(rejected).toMatchObject({ actorId: 'lead', data: { reason: 'the retirement was rejected' } });
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'owner' });
    expect(body.retirement).toMatchObject({ status: 'rejected', checklist: [] });

    // Asked again later; the owner then withdraws the request, which ends it the same way.
    const second = await requestRetirement(systemId);
    expect(second.retirementId).not.toBe(body.retirement.id);
    const secondApproval = await h.openTask(systemId, 'retirement_approval', (task) => task.id !== approval.id);
    expect((await h.api('POST', `/api/v1/tasks/${secondApproval.id}/withdraw`, { as: 'owner', body: {} })).status).toBe(200);
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'rejected' });
    const { body: latest } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'owner' });
    expect(latest.retirement).toMatchObject({ id: second.retirementId, status: 'withdrawn' });
    expect(await stateOf(systemId)).toBe('active');
  });

  it('runs the whole checklist again when the sign-off asks for changes', async () => {
    const systemId = await activeSystem('Twice checked helper');
    await requestRetirement(systemId);
    await approveRetirement(systemId);
    const firstRound = await openChecklist(systemId);
    await completeChecklist(firstRound);
    const firstSignoff = await h.openTask(systemId, 'retirement_signoff');
    expect((await h.decide(firstSignoff.id, 'lead', 'request_changes', { comment: 'the archive location is missing' })).status).toBe(200);

    const firstIds = firstRound.map((task) => task.id);
    const secondRound = await openChecklist(systemId, (task) => !firstIds.includes(task.id));
    expect(secondRound.map(seated)).toEqual(firstRound.map(seated));
    const reopened = (await historyOf(systemId)).find((event) => event.type === 'retirement.checklist_opened' && event.data.round === 2);
    expect(reopened?.actorId).toBe('lead');
    await completeChecklist(secondRound, 'RET-2');

    const secondSignoff = await h.openTask(systemId, 'retirement_signoff', (task) => task.id !== firstSignoff.id);
    expect(secondSignoff.subjectVersion).toBe(2);
    expect(secondSignoff.subjectHash).not.toBe(firstSignoff.subjectHash);
    await h.decide(secondSignoff.id, 'lead', 'approve');
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'retired' });
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'lead' });
    expect(body.retirement).toMatchObject({ status: 'retired', checklistRound: 2 });
    expect(body.retirement.checklist.filter((item: any) => item.status === 'done')).toHaveLength(8);
  });

  it('reopens a checklist item for the governance leads once its whole ladder ran out, and never drops it', async () => {
    const hastyDisposal: PolicyInput = {
      ...triageOnlyPolicy,
      tasks: {
        ...triageOnlyPolicy.tasks,
        retirement_data_disposal: {
          ...triageOnlyPolicy.tasks.retirement_data_disposal,
          slaByTier: { low: '2s', medium: '2s', high: '2s', prohibited: '2s' },
          reminderPoints: [],
          escalationLadder: [{ action: 'notify', target: 'manager', window: '2s' }],
        },
      },
    };
    const systemId = await activeSystem('Slow disposal');
    h.usePolicy(hastyDisposal);
    await requestRetirement(systemId);
    await approveRetirement(systemId);
    const [disposal, ...others] = await openChecklist(systemId);
    expect(seated(disposal)).toEqual(['privacy']);
    await completeChecklist(others);

    const reopened = await h.openTask(systemId, 'retirement_data_disposal', (task) => task.id !== disposal.id);
    expect(seated(reopened)).toEqual(['lead', 'lead2']);
    const { body: expired } = await h.api('GET', `/api/v1/tasks/${disposal.id}`, { as: 'lead' });
    expect(expired.task.status).toBe('expired');
    const event = (await historyOf(systemId)).find((entry) => entry.type === 'retirement.checklist_item_reopened');
    expect(event?.data).toMatchObject({ item: 'retirement_data_disposal', round: 1, reopened: 1, role: 'governance_lead' });
    expect((await h.decide(reopened.id, 'lead', 'done', { submission: { evidence: 'data deleted by the leads, see RET-7' } })).status).toBe(200);

    await h.decide((await h.openTask(systemId, 'retirement_signoff')).id, 'lead2', 'approve');
    expect(await retirementOf(systemId).result()).toEqual({ systemId, outcome: 'retired' });
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}/retirement`, { as: 'lead' });
    expect(body.retirement.checklist.find((item: any) => item.item === 'retirement_data_disposal')).toMatchObject({
      status: 'done',
      reopened: 1,
      taskId: reopened.id,
      doneBy: 'lead',
      evidence: 'data deleted by the leads, see RET-7',
    });
  });

  it('waits for the retirement date before the sign-off opens', async () => {
    const systemId = await activeSystem('Retires tomorrow');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await requestRetirement(systemId, 'owner', tomorrow);
    await approveRetirement(systemId);
    await completeChecklist(await openChecklist(systemId));

    const waiting = await eventually(async () => (await historyOf(systemId)).find((event) => event.type === 'retirement.awaiting_date'));
    expect(waiting.data.retireOn).toBe(tomorrow);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    expect(body.openTasks.filter((task: { kind: string }) => task.kind === 'retirement_signoff')).toEqual([]);
    expect(body.system.state).toBe('retiring');
    await retirementOf(systemId).terminate('the test is over');
  });

  it('answers 400, 403, 404 and 409 at the API, and a retried request with its Idempotency-Key', async () => {
    h.usePolicy(triageOnlyPolicy);
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'API checks' }) });
    const systemId = filed.body.systemId as string;
    const path = `/api/v1/systems/${systemId}/retirement`;
    await h.openTask(systemId, 'intake_triage');

    const invalid = await h.api('POST', path, { body: { reason: '', retireOn: '31/03/2027', extra: true } });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.fields)).toEqual(expect.arrayContaining(['reason', 'retireOn']));
    expect(invalid.body.fields.retireOn).toEqual(['must be a date such as 2027-03-31']);
    expect((await h.api('POST', path, { as: 'approver', body: request() })).status).toBe(403);
    expect((await h.api('POST', path, { as: 'auditor', body: request() })).status).toBe(403);
    expect((await h.api('POST', '/api/v1/systems/00000000-0000-4000-8000-000000000000/retirement', { body: request() })).status).toBe(404);
    expect((await h.api('GET', '/api/v1/systems/00000000-0000-4000-8000-000000000000/retirement', { as: 'lead' })).status).toBe(404);
    expect((await h.api('GET', path, { as: 'owner' })).status).toBe(404);

    // A governance lead may ask too; the other lead approves, for the one who asked never does.
    const headers = { 'Idempotency-Key': 'retire-api-checks-1' };
    const first = await h.api('POST', path, { as: 'lead', body: request(), headers });
    expect(first.status).toBe(202);
    const replayed = await h.api('POST', path, { as: 'lead', body: request(), headers });
    expect(replayed).toMatchObject({ status: 202, body: { retirementId: first.body.retirementId } });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const reused = await h.api('POST', path, { as: 'lead', body: request('2030-01-01'), headers });
    expect(reused).toMatchObject({ status: 409, body: { error: 'idempotency_key_reused' } });
    const running = await h.api('POST', path, { as: 'owner', body: request() });
    expect(running).toMatchObject({ status: 409, body: { error: 'retirement_running' } });
    const approval = await h.openTask(systemId, 'retirement_approval');
    expect(seated(approval)).toEqual(['lead2']);
    expect((await h.api('GET', path, { as: 'approver' })).status).toBe(403);
    expect((await h.api('GET', path, { as: 'owner' })).body.retirement).toMatchObject({ status: 'requested', requesterId: 'lead' });
    expect((await h.api('POST', `/api/v1/tasks/${approval.id}/withdraw`, { as: 'lead', body: {} })).status).toBe(200);
    await retirementOf(systemId).result();

    // The intake is rejected: a system whose life ended cannot retire.
    await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'reject');
    await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
    const refused = await h.api('POST', path, { body: request() });
    expect(refused).toMatchObject({ status: 409, body: { error: 'not_retirable', message: "an AI system in state 'rejected' cannot be retired" } });
  });
});
