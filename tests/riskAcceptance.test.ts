import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyInput } from '../domain/policy';
import { workflowIds } from '../workflows/contracts';
import { sampleRiskRegister } from './helpers/samples';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { noAssessmentPolicy } from './helpers/policies';

/** Re-acceptance opens 2 s before an acceptance expires and extends it by an hour. */
const reacceptancePolicy: PolicyInput = {
  ...noAssessmentPolicy,
  riskTreatment: { ...noAssessmentPolicy.riskTreatment, reacceptanceNotice: '2s', reacceptanceTerm: '1h' },
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(reacceptancePolicy);
});
afterAll(() => h?.stop());

/** An active system whose register accepts the low risk R2 until a few seconds from now. */
async function systemWithExpiringAcceptance(name: string) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  const systemId = filed.body.systemId as string;
  await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
  const register = sampleRiskRegister('low');
  const expiresAt = new Date(Date.now() + 6_000).toISOString();
  register.risks[1].acceptanceExpiresAt = expiresAt;
  await h.decide((await h.openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: register });
  await h.decide((await h.openTask(systemId, 'risk_signoff')).id, 'risk', 'approve');
  await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
  return { systemId, expiresAt };
}

const acceptance = async (systemId: string) =>
  (await h.pool.query('SELECT risk_id, register_version, expires_at, status, reaccepted_count FROM risk_acceptances WHERE system_id = $1', [systemId])).rows;

describe('re-acceptance of accepted risks (ISO/IEC 23894)', () => {
  it('asks the risk officer to re-accept before the acceptance expires, and extends it by the policy term', async () => {
    const { systemId, expiresAt } = await systemWithExpiringAcceptance('Re-accepted risk');
    expect(await acceptance(systemId)).toEqual([
      { risk_id: 'R2', register_version: 1, expires_at: new Date(expiresAt), status: 'accepted', reaccepted_count: 0 },
    ]);

    const task = await h.openTask(systemId, 'risk_reacceptance');
    // Opened at the notice before expiry, not at sign-off.
    expect(Date.parse(expiresAt) - Date.parse(task.openedAt)).toBeLessThanOrEqual(2_500);
    expect(task.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['risk']);
    expect((await h.decide(task.id, 'owner', 'reaccept')).status).toBe(403);
    expect((await h.decide(task.id, 'risk', 'reaccept')).status).toBe(200);

    const [extended] = await eventually(async () => {
      const rows = await acceptance(systemId);
      return rows[0].reaccepted_count === 1 ? rows : undefined;
    });
    expect(extended.expires_at.getTime() - Date.parse(expiresAt)).toBe(3_600_000);
    const { rows } = await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'risk.reaccepted'`, [systemId]);
    expect(rows[0].data).toMatchObject({ riskId: 'R2', expiresAt: extended.expires_at.toISOString() });
    // The watch continues, asleep until the next notice.
    const watch = await h.temporal.workflow.getHandle(workflowIds.riskAcceptance(systemId, 'R2', 1)).describe();
    expect(watch.status.name).toBe('RUNNING');
  });

  it('lets a refused re-acceptance lapse and sends the system to a re-assessment of its risks', async () => {
    const { systemId } = await systemWithExpiringAcceptance('Lapsed risk');
    const task = await h.openTask(systemId, 'risk_reacceptance');
    await h.decide(task.id, 'risk', 'reject', { comment: 'retention must be fixed, not accepted' });

    const plan = await h.openTask(systemId, 'risk_treatment_plan', (t) => t.subjectVersion === 0 && t.id !== task.id);
    expect(plan).toBeDefined();
    expect((await acceptance(systemId))[0].status).toBe('lapsed');
    const { rows } = await h.pool.query('SELECT state FROM ai_systems WHERE id = $1', [systemId]);
    expect(rows[0].state).toBe('risk_treatment');
    const review = (await h.api('GET', `/api/v1/systems/${systemId}/reviews`, { as: 'lead' })).body.reviews[0];
    expect(review).toMatchObject({ reason: 'risk_acceptance_lapsed', requesterId: 'aims-flow', status: 'open' });

    // The new register supersedes the lapsed acceptance.
    const register = sampleRiskRegister('low');
    register.risks[1] = { ...register.risks[1], treatment: 'mitigate', controls: ['A.7.4'], residual: 'low' };
    await h.decide(plan.id, 'owner', 'submit', { submission: register });
    await h.decide((await h.openTask(systemId, 'risk_signoff', (t) => t.subjectVersion === 2)).id, 'risk', 'approve');
    await eventually(async () =>
      (await h.api('GET', `/api/v1/systems/${systemId}/reviews`, { as: 'lead' })).body.reviews[0].status === 'reassessed' ? true : undefined,
    );
  });
});
