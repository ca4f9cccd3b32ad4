import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

async function fileIntake(intake = sampleIntake(), headers: Record<string, string> = {}) {
  const response = await h.api('POST', '/api/v1/systems', { body: intake, headers });
  expect(response.status).toBe(202);
  return response.body.systemId as string;
}

const openTaskOf = (systemId: string, kind: string) => h.openTask(systemId, kind);

async function systemState(systemId: string, until: string) {
  return eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'owner' });
    return body.system?.state === until ? body : undefined;
  });
}

describe('intake to triage decision', () => {
  it('registers the system, triages it and moves it to assessment when a governance lead accepts through the API', async () => {
    const systemId = await fileIntake(sampleIntake({ name: 'CV screener', useCategory: 'hr_hiring', impactAreas: ['employment'] }));
    const task = await openTaskOf(systemId, 'intake_triage');
    expect(task.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['lead']);

    const email = await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.includes('CV screener'));
    expect(email.subject).toBe('Action needed: Triage an AI system intake: CV screener');
    expect(email.links[0]).toMatch(new RegExp(`^${h.baseUrl}/actions/[\\w-]{43}$`));

    const decided = await h.decide(task.id, 'lead', 'accept', { comment: 'fine' });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ taskId: task.id, choice: 'accept', taskStatus: 'decided' });

    await systemState(systemId, 'assessment');
    // Onboarding goes on: the owner is asked for the impact assessment.
    const assessmentTask = await openTaskOf(systemId, 'impact_assessment');
    expect(assessmentTask.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['owner']);
    const { body: detail } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'owner' });
    expect(detail.system).toMatchObject({ state: 'assessment', riskTier: 'high', triageRule: 'sensitive-area', ownerId: 'owner' });
    expect(detail.openTasks.map((open: { kind: string }) => open.kind)).toEqual(['impact_assessment']);
    expect(detail.history.map((event: { type: string }) => event.type).slice(0, 7)).toEqual([
      'system.registered',
      'system.triaged',
      'task.opened',
      'task.step_opened',
      'task.decided',
      'task.closed',
      'system.state_changed',
    ]);
    expect(detail.history.find((e: { type: string }) => e.type === 'task.decided')).toMatchObject({ actorId: 'lead', data: { choice: 'accept' } });
  });

  it('rejects the system when the governance lead rejects it', async () => {
    const systemId = await fileIntake(sampleIntake({ name: 'Shelf camera' }));
    const task = await openTaskOf(systemId, 'intake_triage');
    const decided = await h.decide(task.id, 'lead', 'reject');
    expect(decided.status).toBe(200);
    const detail = await systemState(systemId, 'rejected');
    expect(detail.system.riskTier).toBe('low');
  });

  it('sends the owner a revision task on request changes, then triages the revised intake again', async () => {
    const systemId = await fileIntake(sampleIntake({ name: 'Loan helper' }));
    const triage = await openTaskOf(systemId, 'intake_triage');
    await h.decide(triage.id, 'lead', 'request_changes', { comment: 'say what data it uses' });

    const revision = await openTaskOf(systemId, 'intake_revision');
    expect(revision.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['owner']);
    await h.mail.waitFor((m) => m.to.includes(h.people.owner.email) && m.subject.includes('Revise your AI system intake: Loan helper'));

    const invalid = await h.decide(revision.id, 'owner', 'submit', { submission: { ...sampleIntake(), affectedParties: [] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain('affectedParties');

    const revised = sampleIntake({ name: 'Loan helper', impactAreas: ['lending'], dataCategories: ['personal'] });
    const submitted = await h.decide(revision.id, 'owner', 'submit', { submission: revised });
    expect(submitted.status).toBe(200);

    const secondTriage = await eventually(async () => {
      const task = await openTaskOf(systemId, 'intake_triage');
      return task.id !== triage.id ? task : undefined;
    });
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'owner' });
    expect(body.system).toMatchObject({ riskTier: 'high', triageRule: 'sensitive-area', intake: revised });
    await h.decide(secondTriage.id, 'lead', 'accept');
    const detail = await systemState(systemId, 'assessment');
    expect(detail.history.filter((e: { type: string }) => e.type === 'system.triaged')).toHaveLength(2);
    expect(detail.history.some((e: { type: string }) => e.type === 'system.intake_revised')).toBe(true);
  });
});
