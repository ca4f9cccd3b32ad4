import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePolicy } from '../api/policy';
import { ensureDigestSchedule } from '../worker/schedules';
import { workflowIds, workflowTypes } from '../workflows/contracts';
import { sampleIntake, startHarness, type Harness } from './helpers/harness';
import { triageOnlyPolicy, withTriage } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraGovernanceLead: true });
});
afterAll(() => h?.stop());

describe('governance digest', () => {
  it('emails every governance lead the overdue reviews and tasks, from its own schedule', async () => {
    h.usePolicy(triageOnlyPolicy);
    const reviewed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Review long overdue' }) });
    await h.decide((await h.openTask(reviewed.body.systemId, 'intake_triage')).id, 'lead', 'accept');
    await h.temporal.workflow.getHandle(workflowIds.intake(reviewed.body.systemId)).result();
    // A year-long interval cannot pass in a test: the review is made due in the past instead.
    await h.pool.query(`UPDATE ai_systems SET next_review_due = now() - interval '40 days' WHERE id = $1`, [reviewed.body.systemId]);

    h.usePolicy(
      withTriage({
        slaByTier: { low: '1s', medium: '1s', high: '1s', prohibited: '1s' },
        escalationLadder: [{ action: 'notify', target: 'manager', window: '1h' }],
      }),
    );
    const waiting = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Triage overdue' }) });
    await h.openTask(waiting.body.systemId, 'intake_triage');
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const policy = { ...preparePolicy(triageOnlyPolicy), review: { ...preparePolicy(triageOnlyPolicy).review, digestEvery: 3_600_000 } };
    const schedule = await ensureDigestSchedule(h.temporal, h.taskQueue, policy, `governance-digest-${h.taskQueue}`);
    try {
      expect(Number((await schedule.describe()).spec.intervals?.[0]?.every)).toBe(3_600_000);
      await schedule.trigger();
      const [toLead, toLead2] = await Promise.all(
        [h.people.lead.email, h.people.lead2.email].map((email) => h.mail.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Governance digest'))),
      );
      expect(toLead.subject).toBe('Governance digest: 1 overdue reviews, 1 overdue tasks');
      expect(toLead.text).toContain('- Review long overdue (low, Finance)');
      expect(toLead.text).toMatch(/40 days late/);
      expect(toLead.text).toContain('- Triage an AI system intake: Triage overdue (low, Finance)');
      expect(toLead.text).toContain('held by Grace Lead, Gus Lead');
      expect(toLead2.messageId).not.toBe(toLead.messageId);
      expect(h.mail.messages.filter((m) => m.subject.startsWith('Governance digest'))).toHaveLength(2);
    } finally {
      await schedule.delete();
    }
  });

  it('forgets the answers kept for reruns of local activities once they are a week old, and keeps the recent ones', async () => {
    const kept = (runId: string, daysAgo: number) =>
      h.pool.query(
        `INSERT INTO local_activity_results (run_id, activity_seq, activity_type, args_hash, result, completed_at)
         VALUES ($1, '1', 'recordTriage', '', '{}', now() - make_interval(days => $2))`,
        [runId, daysAgo],
      );
    await kept('run-eight-days-ago', 8);
    await kept('run-yesterday', 1);

    await h.temporal.workflow.execute(workflowTypes.governanceDigest, { taskQueue: h.taskQueue, workflowId: `digest-forgetting-${h.taskQueue}` });

    const { rows } = await h.pool.query(`SELECT run_id FROM local_activity_results WHERE run_id LIKE 'run-%' ORDER BY run_id`);
    expect(rows.map((row) => row.run_id)).toEqual(['run-yesterday']);
  });
});
