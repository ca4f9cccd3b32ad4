import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntakeRequest } from '../domain/system';
import { eventually, sampleIntake, startHarness, type CastMember, type Harness } from './helpers/harness';
import { workflowIds } from '../workflows/contracts';
import { calmPolicy, triageOnlyPolicy, withTriage } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraGovernanceLead: true, withGovernanceLeadOwner: true });
});
afterAll(() => h?.stop());

async function fileIntake(name: string, overrides: Partial<IntakeRequest> = {}, as: CastMember = 'owner') {
  const response = await h.api('POST', '/api/v1/systems', { as, body: sampleIntake({ name, ...overrides }) });
  expect(response.status).toBe(202);
  return response.body.systemId as string;
}

const openTriage = (systemId: string, where?: (task: any) => boolean) => h.openTask(systemId, 'intake_triage', where);
const systemDetail = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;
const seated = (task: { assignees: { principalId: string }[] }) => task.assignees.map((assignee) => assignee.principalId).sort();

describe('integrity of the human-task engine', () => {
  it('lets nobody vote twice in one task, even in a later step of its chain', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead' }, { role: 'governance_lead' }] }));
    const systemId = await fileIntake('Two lead steps');
    const first = await openTriage(systemId);
    expect(seated(first)).toEqual(['lead', 'lead2', 'ownerAndLead']);
    expect((await h.decide(first.id, 'lead', 'accept')).body.taskStatus).toBe('open');

    const second = await openTriage(systemId, (task) => task.currentStep === 1);
    expect(seated(second)).toEqual(['lead2', 'ownerAndLead']);
    const again = await h.decide(second.id, 'lead', 'accept');
    expect(again.status).toBe(409);
    expect((await h.decide(second.id, 'lead2', 'accept')).body.taskStatus).toBe('decided');
  });

  it('refuses a reassignment by a governance lead who owns the system, and one that moves a seat that voted', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'governance_lead', rule: { type: 'all' } }] }));
    const own = await fileIntake('Own system', {}, 'ownerAndLead');
    const ownTask = await openTriage(own);
    const byOwner = await h.api('POST', `/api/v1/tasks/${ownTask.id}/reassign`, {
      as: 'ownerAndLead',
      body: { from: 'lead', to: 'approver', reason: 'my friend will approve it' },
    });
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error).toBe('segregation_of_duties');

    const other = await fileIntake('Voted seat');
    const task = await openTriage(other);
    await h.decide(task.id, 'lead', 'accept');
    const moveVoted = await h.api('POST', `/api/v1/tasks/${task.id}/reassign`, { as: 'lead2', body: { from: 'lead', to: 'approver', reason: 'away' } });
    expect(moveVoted.status).toBe(409);
    expect(moveVoted.body.error).toBe('already_decided');
  });

  it('lets current seat holders and deciders see a task and its system; an undecided seat of a closed task shows that task only', async () => {
    h.usePolicy(withTriage({ steps: [{ role: 'approver' }], delegateRoles: ['executive'] }));
    const systemId = await fileIntake('Seen by its deciders');
    const task = await openTriage(systemId);
    expect(seated(task)).toEqual(['approver', 'leadManager', 'ownerManager']);
    const sees = async (who: CastMember) => [
      (await h.api('GET', `/api/v1/tasks/${task.id}`, { as: who })).status,
      (await h.api('GET', `/api/v1/systems/${systemId}`, { as: who })).status,
    ];
    expect(await sees('ownerManager')).toEqual([200, 200]);
    // A seat handed on takes its sight with it.
    expect((await h.api('POST', `/api/v1/tasks/${task.id}/delegate`, { as: 'ownerManager', body: { to: 'executive' } })).status).toBe(200);
    expect(await sees('ownerManager')).toEqual([403, 403]);
    expect(await sees('executive')).toEqual([200, 200]);
    expect((await h.decide(task.id, 'approver', 'accept')).body.taskStatus).toBe('decided');
    // The task's record closes a moment after the workflow decided: sight follows the record.
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${task.id}`, { as: 'lead' })).body.task?.status === 'decided' ? true : undefined));
    expect(await sees('approver')).toEqual([200, 200]);
    expect(await sees('executive')).toEqual([200, 403]);
    expect(await sees('leadManager')).toEqual([200, 403]);
  });

  it('gives an amended intake whose tier rose the chain of its new tier', async () => {
    h.usePolicy(withTriage({ stepsByTier: { high: [{ role: 'governance_lead' }, { role: 'executive' }] } }));
    const systemId = await fileIntake('Rising tier');
    const task = await openTriage(systemId);
    expect(task.stepCount).toBe(1);
    const amended = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { body: sampleIntake({ name: 'Rising tier', impactAreas: ['lending'] }) });
    expect(amended.body).toMatchObject({ intakeVersion: 2, tier: 'high' });
    const restarted = await openTriage(systemId, (current) => current.subjectVersion === 2);
    expect(restarted.stepCount).toBe(2);
    await h.decide(task.id, 'lead', 'accept');
    const executiveStep = await openTriage(systemId, (current) => current.currentStep === 1);
    expect(seated(executiveStep)).toEqual(['executive']);
  });

  it('shows a task past its SLA as overdue at its escalation level, and records an intake that expires', async () => {
    h.usePolicy(
      withTriage({
        slaByTier: { low: '1500ms', medium: '1500ms', high: '1500ms', prohibited: '1500ms' },
        reminderPoints: [],
        escalationLadder: [{ action: 'notify', target: 'manager', window: '2s' }],
      }),
    );
    const systemId = await fileIntake('Late triage');
    const task = await openTriage(systemId);
    const notYet = await h.api('GET', '/api/v1/tasks?overdue=true', { as: 'lead' });
    expect(notYet.body.tasks.map((t: { id: string }) => t.id)).not.toContain(task.id);

    const overdue = await eventually(async () => {
      const { body } = await h.api('GET', '/api/v1/tasks?overdue=true&escalationLevel=1', { as: 'lead' });
      return body.tasks.find((t: { id: string }) => t.id === task.id);
    });
    expect(new Date(overdue.dueAt).getTime()).toBeLessThan(Date.now());
    expect(new Date(overdue.nextDeadlineAt).getTime()).toBeGreaterThan(new Date(overdue.dueAt).getTime());

    const expired = await eventually(async () => {
      const detail = await systemDetail(systemId);
      return detail.history.some((event: { type: string }) => event.type === 'system.intake_expired') ? detail : undefined;
    });
    expect(expired.system.state).toBe('intake');
    expect(expired.tasks[0]).toMatchObject({ status: 'expired', outcome: null });
    expect(expired.history.at(-1).data.reason).toContain('expired');
  });

  it('lets the owner withdraw the intake while their revision is open, closing that task as withdrawn', async () => {
    h.usePolicy(withTriage({}));
    const systemId = await fileIntake('Withdrawn in revision');
    const triage = await openTriage(systemId);
    await h.decide(triage.id, 'lead', 'request_changes');
    const revision = await eventually(async () => (await systemDetail(systemId)).openTasks?.find((task: { kind: string }) => task.kind === 'intake_revision'));

    expect((await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { as: 'lead', body: {} })).status).toBe(403);
    const withdrawn = await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { body: { reason: 'we bought another tool' } });
    expect(withdrawn.status).toBe(200);

    const detail = await eventually(async () => {
      const current = await systemDetail(systemId);
      return current.system.state === 'withdrawn' ? current : undefined;
    });
    expect(detail.tasks.find((task: { id: string }) => task.id === revision.id)).toMatchObject({ status: 'withdrawn' });
    expect(detail.history.at(-1).data).toMatchObject({ to: 'withdrawn', reason: expect.stringContaining('we bought another tool') });
    expect((await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { body: {} })).status).toBe(409);
  });

  it('lets the owner withdraw a system accepted at triage but not yet in service, cancelling its impact assessment', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await fileIntake('Withdrawn while assessed');
    await h.decide((await openTriage(systemId)).id, 'lead', 'accept');
    const assessment = await h.openTask(systemId, 'impact_assessment');

    const withdrawn = await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { body: { reason: 'the pilot ended' } });
    expect(withdrawn.status).toBe(200);
    expect(await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result()).toMatchObject({ state: 'withdrawn' });
    expect((await h.temporal.workflow.getHandle(workflowIds.assessment(systemId)).describe()).status.name).toBe('CANCELLED');
    const detail = await systemDetail(systemId);
    expect(detail.system.state).toBe('withdrawn');
    expect(detail.tasks.find((task: { id: string }) => task.id === assessment.id)).toMatchObject({ status: 'cancelled' });
    expect(detail.history.at(-1).data).toMatchObject({ from: 'assessment', to: 'withdrawn', reason: expect.stringContaining('the pilot ended') });
  });

  it('refuses withdrawal once the system is in service: it leaves by retirement', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await fileIntake('In service, not withdrawable');
    await h.decide((await openTriage(systemId)).id, 'lead', 'accept');
    expect(await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result()).toMatchObject({ state: 'active' });
    const refused = await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('retirement');
  });

  it('refuses an Idempotency-Key reused for a different decision', async () => {
    h.usePolicy(withTriage({}));
    const systemId = await fileIntake('Reused key');
    const task = await openTriage(systemId);
    const headers = { 'idempotency-key': 'one-key-one-decision' };
    expect((await h.decide(task.id, 'lead', 'reject', { headers })).status).toBe(200);
    const other = await h.decide(task.id, 'lead', 'accept', { headers });
    expect(other.status).toBe(409);
    expect(other.body.error).toBe('idempotency_key_reused');
  });
});
