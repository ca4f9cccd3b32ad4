import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../workflows/contracts';
import { sampleRiskRegister } from './helpers/samples';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { noAssessmentPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // The risk treatment sign-off on its own: accepted systems skip the impact assessment here.
  h.usePolicy(noAssessmentPolicy);
});
afterAll(() => h?.stop());

const openTask = (systemId: string, kind: string, where?: (task: any) => boolean) => h.openTask(systemId, kind, where);

async function planRequested(name: string) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  const systemId = filed.body.systemId as string;
  await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
  return { systemId, plan: await openTask(systemId, 'risk_treatment_plan') };
}

describe('risk treatment sign-off (ISO/IEC 23894)', () => {
  it('takes the owner’s risk register, has the risk officer sign off a low residual risk, and puts the system into service', async () => {
    const { systemId, plan } = await planRequested('Signed-off helper');
    const invalid = sampleRiskRegister();
    delete invalid.risks[1].acceptanceExpiresAt;
    invalid.risks[0].controls = ['A.99'];
    invalid.risks[1].residual = 'high';
    const refused = await h.decide(plan.id, 'owner', 'submit', { submission: invalid });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('risks.1.acceptanceExpiresAt: an accepted risk needs acceptanceExpiresAt');
    expect(refused.body.message).toContain('an ISO/IEC 42001 Annex A control id');
    expect(refused.body.message).toContain('risks.1.residual: a treatment cannot leave more risk than the impact it started from');

    expect((await h.decide(plan.id, 'owner', 'submit', { submission: sampleRiskRegister('low') })).status).toBe(200);
    const signoff = await openTask(systemId, 'risk_signoff');
    expect(signoff).toMatchObject({ stepCount: 1, subjectVersion: 1 });
    expect(signoff.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['risk']);
    expect((await h.decide(signoff.id, 'risk', 'approve')).status).toBe(200);

    const outcome = await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
    expect(outcome).toMatchObject({ state: 'active', tier: 'low' });
    const {
      rows: [system],
    } = await h.pool.query('SELECT state, residual_risk, next_review_due FROM ai_systems WHERE id = $1', [systemId]);
    expect(system).toMatchObject({ state: 'active', residual_risk: 'low' });
    // The default policy reviews a low-tier system every 730 days.
    expect(Math.round((system.next_review_due.getTime() - Date.now()) / 86_400_000)).toBe(730);
    const { rows } = await h.pool.query('SELECT version, outcome, residual_risk FROM risk_registers WHERE system_id = $1', [systemId]);
    expect(rows).toEqual([{ version: 1, outcome: 'approved', residual_risk: 'low' }]);
    const { body: pack } = await h.api('GET', `/api/v1/systems/${systemId}/evidence`, { as: 'auditor' });
    expect(pack.riskRegister).toEqual([expect.objectContaining({ version: 1, outcome: 'approved', residualRisk: 'low', content: sampleRiskRegister('low') })]);
    const page = await h.api('GET', `/api/v1/systems/${systemId}/evidence?format=html`, { as: 'auditor' });
    expect(page.body).toContain('R1: Wrong order information given to customers');
  });

  it('sends a high residual risk through the risk officer and then an executive, and back to the owner on changes requested', async () => {
    const { systemId, plan } = await planRequested('High residual');
    await h.decide(plan.id, 'owner', 'submit', { submission: sampleRiskRegister('high') });
    const first = await openTask(systemId, 'risk_signoff');
    expect(first.stepCount).toBe(2);
    await h.decide(first.id, 'risk', 'approve');
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${first.id}`, { as: 'lead' })).body.task.currentStep === 1 ? true : undefined));
    expect((await h.decide(first.id, 'executive', 'request_changes', { comment: 'mitigate R1 further' })).status).toBe(200);

    const second = await openTask(systemId, 'risk_treatment_plan', (task) => task.subjectVersion === 1);
    await h.decide(second.id, 'owner', 'submit', { submission: sampleRiskRegister('medium') });
    const signoff = await openTask(systemId, 'risk_signoff', (task) => task.subjectVersion === 2);
    expect(signoff.stepCount).toBe(1);
    await h.decide(signoff.id, 'risk', 'approve');
    const outcome = await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
    expect(outcome.state).toBe('active');
    const { rows } = await h.pool.query('SELECT version, outcome, residual_risk FROM risk_registers WHERE system_id = $1 ORDER BY version', [systemId]);
    expect(rows).toEqual([
      { version: 1, outcome: 'changes_requested', residual_risk: 'high' },
      { version: 2, outcome: 'approved', residual_risk: 'medium' },
    ]);
  });
});
