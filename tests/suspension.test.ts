import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../workflows/contracts';
import { sampleRiskRegister } from './helpers/assessments';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { noAssessmentPolicy, triageOnlyPolicy } from './helpers/policies';

/** Where processes meet on one system: suspensions by incidents, reviews and onboarding in between. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const stateOf = async (systemId: string) => (await h.pool.query('SELECT state FROM ai_systems WHERE id = $1', [systemId])).rows[0].state as string;
const stateIs = (systemId: string, state: string) => eventually(async () => ((await stateOf(systemId)) === state ? true : undefined));

/** Reports an incident and has the owner acknowledge and contain it with a suspension; answers its workflow id. */
async function suspendingIncident(systemId: string, description: string): Promise<string> {
  const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
    as: 'approver',
    body: { severity: 'medium', description, occurredAt: new Date().toISOString() },
  });
  expect(reported.status).toBe(202);
  await h.decide((await h.openTask(systemId, 'incident_acknowledgement')).id, 'owner', 'acknowledge');
  await h.decide((await h.openTask(systemId, 'incident_containment')).id, 'owner', 'contain', { submission: { actions: 'switched off', suspendSystem: true } });
  return reported.body.workflowId;
}

/** Resolves and closes the incident whose tasks fall due first (tasks list by due time), then waits for its workflow. */
async function closeIncident(systemId: string, workflowId: string) {
  await h.decide((await h.openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: { rootCause: 'a bug', actions: 'fixed' } });
  await h.decide((await h.openTask(systemId, 'incident_closure')).id, 'lead', 'close');
  await h.temporal.workflow.getHandle(workflowId).result();
}

describe('when processes meet on one system', () => {
  it('defers a review an incident suspended, and resumes the system to active, reviewable again', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Reviewed during an incident');
    const review = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    const attestation = await h.openTask(systemId, 'review_attestation');
    const incident = await suspendingIncident(systemId, 'wrong answers');
    await stateIs(systemId, 'suspended');

    await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'unchanged' } });
    expect(await h.temporal.workflow.getHandle(review.body.workflowId).result()).toMatchObject({ outcome: 'deferred', state: 'suspended' });
    await closeIncident(systemId, incident);
    expect(await stateOf(systemId)).toBe('active');
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} })).status).toBe(202);
  });

  it('keeps the system suspended until the last of two suspending incidents closes', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Two incidents');
    const first = await suspendingIncident(systemId, 'first failure');
    await stateIs(systemId, 'suspended');
    const second = await suspendingIncident(systemId, 'second failure');
    await eventually(async () => ((await h.pool.query('SELECT count(*)::int AS n FROM suspension_holds WHERE system_id = $1 AND released_at IS NULL', [systemId])).rows[0].n === 2 ? true : undefined));

    await closeIncident(systemId, first);
    expect(await stateOf(systemId)).toBe('suspended');
    await closeIncident(systemId, second);
    expect(await stateOf(systemId)).toBe('active');
  });

  it('lets onboarding end while an incident holds the system suspended; the system resumes to where onboarding left it', async () => {
    h.usePolicy(noAssessmentPolicy);
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Piloted and rejected' }) });
    const systemId = filed.body.systemId as string;
    await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    await h.decide((await h.openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: sampleRiskRegister('low') });
    const signoff = await h.openTask(systemId, 'risk_signoff');
    const incident = await suspendingIncident(systemId, 'pilot leaked data');
    await stateIs(systemId, 'suspended');

    expect((await h.decide(signoff.id, 'risk', 'approve')).status).toBe(409);
    expect((await h.decide(signoff.id, 'risk', 'reject')).status).toBe(200);
    expect(await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result()).toMatchObject({ state: 'rejected' });
    expect(await stateOf(systemId)).toBe('suspended');
    const { rows } = await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'system.state_changed' ORDER BY seq DESC LIMIT 1`, [systemId]);
    expect(rows[0].data).toMatchObject({ from: 'risk_treatment', to: 'rejected', whileSuspended: true });

    await closeIncident(systemId, incident);
    expect(await stateOf(systemId)).toBe('rejected');
  });
});
