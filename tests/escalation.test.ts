import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';
import { hastyTriagePolicy, withTriage } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const historyTypes = (body: { history: { type: string }[] }) => body.history.map((event) => event.type);

describe('reminders and escalation of a waiting triage', () => {
  it('reminds the assignee, notifies their manager, adds the executive, and lets the executive decide', async () => {
    h.usePolicy(hastyTriagePolicy);
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Slow triage' }) });
    const systemId = filed.body.systemId;
    const about = (m: { subject: string }) => m.subject.endsWith(': Slow triage');

    await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Action needed') && m.to.includes(h.people.lead.email));
    const reminder = await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Reminder') && m.to.includes(h.people.lead.email));
    expect(reminder.links).toHaveLength(1);
    const notice = await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Overdue') && m.to.includes(h.people.leadManager.email));
    expect(notice.links).toEqual([]);
    const escalated = await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Escalated to you') && m.to.includes(h.people.executive.email));

    const { body: tasks } = await h.api('GET', '/api/v1/tasks?mine=true&status=open', { as: 'executive' });
    expect(tasks.tasks).toHaveLength(1);
    expect(tasks.tasks[0]).toMatchObject({ escalationLevel: 2, remindersSent: 1 });
    expect(tasks.tasks[0].assignees).toEqual([
      { principalId: 'lead', onBehalfOf: null, addedAtLevel: 0, step: 0 },
      { principalId: 'executive', onBehalfOf: null, addedAtLevel: 2, step: 0 },
    ]);

    const decided = await submitActionForm(escalated.links[0], { choice: 'accept' });
    expect(decided.status).toBe(200);

    const detail = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'owner' });
      return body.system.state === 'assessment' ? body : undefined;
    });
    // What follows the acceptance (the impact assessment opening) is another process's story.
    expect(historyTypes(detail).slice(0, 10)).toEqual([
      'system.registered',
      'system.triaged',
      'task.opened',
      'task.step_opened',
      'task.reminded',
      'task.escalated',
      'task.escalated',
      'task.decided',
      'task.closed',
      'system.state_changed',
    ]);
    const escalations = detail.history.filter((e: { type: string }) => e.type === 'task.escalated');
    expect(escalations.map((e: { data: object }) => e.data)).toEqual([
      expect.objectContaining({ level: 1, action: 'notify', targetIds: ['leadManager'] }),
      expect.objectContaining({ level: 2, action: 'add', targetIds: ['executive'] }),
    ]);
    expect(detail.history.find((e: { type: string }) => e.type === 'task.decided').actorId).toBe('executive');
  });

  it('rejects a high-tier intake nobody triaged once the ladder is exhausted, and never approves it', async () => {
    h.usePolicy(withTriage({ slaByTier: { low: '2s', medium: '2s', high: '2s', prohibited: '2s' }, reminderPoints: [], escalationLadder: [] }));
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Unwatched scorer', impactAreas: ['lending'] }) });
    const detail = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/systems/${filed.body.systemId}`, { as: 'owner' });
      return body.system?.state === 'rejected' ? body : undefined;
    });
    expect(detail.system.riskTier).toBe('high');
    expect(detail.tasks[0]).toMatchObject({ status: 'rejected_on_timeout', outcome: null });
    expect(detail.history.at(-1).data).toMatchObject({ to: 'rejected', reason: expect.stringContaining('not decided in time') });
  });
});
