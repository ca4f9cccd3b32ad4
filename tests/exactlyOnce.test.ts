import { Context } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../activities';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';
import { hastyTriagePolicy, triageOnlyPolicy, withTriage } from './helpers/policies';

/**
 * Every activity's first attempt takes effect and then fails, as if the worker died before Temporal
 * heard of the success; Temporal retries it. Effects must still happen exactly once.
 */
function failAfterEffectOnFirstAttempt(activities: Activities): Activities {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: unknown[]) => {
      const result = await (activity as (...a: unknown[]) => Promise<unknown>)(...args);
      if (Context.current().info.attempt === 1) throw new Error(`injected failure after ${name} took effect`);
      return result;
    },
  ]);
  return Object.fromEntries(wrapped) as Activities;
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ wrapActivities: failAfterEffectOnFirstAttempt });
});
afterAll(() => h?.stop());

describe('effects under activity retries', () => {
  it('sends each email once, writes each row and audit event once, through reminders, escalation, revision and decision', async () => {
    // Hasty for the low-tier first round; the revised intake is medium tier and waits calmly.
    // The accepted system skips the impact assessment, so every effect counted below is the intake's.
    h.usePolicy({
      ...withTriage({ ...hastyTriagePolicy.tasks.intake_triage, slaByTier: { low: '4s', medium: '1h', high: '1h', prohibited: '1h' } }),
      assessment: triageOnlyPolicy.assessment,
      riskTreatment: triageOnlyPolicy.riskTreatment,
    });
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Retry storm' }) });
    const systemId = filed.body.systemId;
    const about = (m: { subject: string }) => m.subject.endsWith(': Retry storm');

    const escalated = await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Escalated to you'), 30_000);
    const requested = await submitActionForm(escalated.links[0], { choice: 'request_changes', comment: 'add the data categories' });
    expect(requested.status).toBe(200);

    const revisionEmail = await h.mail.waitFor((m) => about(m) && m.subject.startsWith('Action needed: Revise'), 30_000);
    const revisionTask = revisionEmail.text.match(/Task id: ([\w-]+)/)![1];
    const revised = await h.decide(revisionTask, 'owner', 'submit', {
      submission: sampleIntake({ name: 'Retry storm', useCategory: 'customer_service', dataCategories: ['personal'] }),
    });
    expect(revised.status).toBe(200);

    const secondTriage = await h.mail.waitFor(
      (m) => about(m) && m.subject.startsWith('Action needed: Triage') && m.to.includes(h.people.lead.email) && m.id > revisionEmail.id,
      30_000,
    );
    expect((await submitActionForm(secondTriage.links[0], { choice: 'accept' })).status).toBe(200);

    const detail = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/systems/${systemId}`);
      return body.system.state === 'active' ? body : undefined;
    }, 60_000);

    const { rows: outbox } = await h.pool.query<{ message_id: string; sent_at: Date | null }>('SELECT message_id, sent_at FROM outbox');
    const received = h.mail.messages.filter(about);
    const receivedIds = received.map((m) => m.messageId);
    expect(new Set(receivedIds).size).toBe(receivedIds.length);
    const sentIds = outbox.filter((row) => row.sent_at).map((row) => row.message_id);
    expect(receivedIds.sort()).toEqual(sentIds.sort());
    const kinds = received.map((m) => m.subject.split(':')[0]).sort();
    expect(kinds).toEqual(['Action needed', 'Action needed', 'Action needed', 'Escalated to you', 'Overdue', 'Reminder'].sort());

    const { rows: eventCounts } = await h.pool.query<{ type: string; n: number }>(
      'SELECT type, count(*)::int AS n FROM audit_events WHERE system_id = $1 GROUP BY type ORDER BY type',
      [systemId],
    );
    expect(Object.fromEntries(eventCounts.map((row) => [row.type, row.n]))).toEqual({
      'system.registered': 1,
      'system.triaged': 2,
      'system.intake_revised': 1,
      'system.state_changed': 3,
      'task.opened': 3,
      'task.step_opened': 3,
      'task.reminded': 1,
      'task.escalated': 2,
      'task.decided': 3,
      'task.closed': 3,
    });
    expect(detail.history.filter((e: { type: string }) => e.type === 'task.decided')).toHaveLength(3);
    expect(detail.history.filter((e: { type: string }) => e.type === 'system.registered')).toHaveLength(1);
    const decisions = await h.pool.query('SELECT count(*)::int AS n FROM decisions');
    expect(decisions.rows[0].n).toBe(3);
  });
});
