import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIds } from '../workflows/contracts';
import { sampleRiskRegister } from './helpers/samples';
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
  it('defers the re-assessment of a review an incident suspended until the system resumes, then runs it', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Reviewed during an incident');
    const review = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    const attestation = await h.openTask(systemId, 'review_attestation');
    const incident = await suspendingIncident(systemId, 'wrong answers');
    await stateIs(systemId, 'suspended');

    await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'unchanged' } });
    expect(await h.temporal.workflow.getHandle(review.body.workflowId).result()).toMatchObject({ outcome: 'deferred', state: 'suspended' });
    await closeIncident(systemId, incident);
    // Resumed, the system gets the re-assessment the review deferred, and is back in service.
    await eventually(async () => {
      const { rows } = await h.pool.query(`SELECT status FROM reviews WHERE system_id = $1 AND reason = 'deferred_reassessment'`, [systemId]);
      return rows[0]?.status === 'reassessed' ? true : undefined;
    });
    expect(await stateOf(systemId)).toBe('active');
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} })).status).toBe(202);
  });

  it('keeps the system suspended until the last of two suspending incidents closes', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Two incidents');
    const first = await suspendingIncident(systemId, 'first failure');
    await stateIs(systemId, 'suspended');
    const second = await suspendingIncident(systemId, 'second failure');
    await eventually(async () =>
      (await h.pool.query('SELECT count(*)::int AS n FROM suspension_holds WHERE system_id = $1 AND released_at IS NULL', [systemId])).rows[0].n === 2
        ? true
        : undefined,
    );

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
    const { rows } = await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'system.state_changed' ORDER BY seq DESC LIMIT 1`, [
      systemId,
    ]);
    expect(rows[0].data).toMatchObject({ from: 'risk_treatment', to: 'rejected', whileSuspended: true });

    await closeIncident(systemId, incident);
    expect(await stateOf(systemId)).toBe('rejected');
  });

  it('starts a re-assessment asked for while another incident holds the system once the last hold is released', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Re-assessed after two incidents');
    const first = await suspendingIncident(systemId, 'first failure');
    await stateIs(systemId, 'suspended');
    const second = await suspendingIncident(systemId, 'second failure');

    await h.decide((await h.openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: { rootCause: 'a bug', actions: 'fixed' } });
    await h.decide((await h.openTask(systemId, 'incident_closure')).id, 'lead', 'close_and_reassess');
    await h.temporal.workflow.getHandle(first).result();
    const closed = await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'incident.closed'`, [systemId]);
    expect(closed.rows[0].data).toMatchObject({ resumed: false });
    expect(await stateOf(systemId)).toBe('suspended');
    await eventually(async () =>
      (await h.pool.query(`SELECT 1 FROM audit_events WHERE system_id = $1 AND type = 'review.skipped'`, [systemId])).rowCount === 1 ? true : undefined,
    );

    await closeIncident(systemId, second);
    // The deferred re-assessment runs (this policy needs no documents for it) and the system is back in service.
    const reassessed = await eventually(async () => {
      const { rows } = await h.pool.query(`SELECT reason, status FROM reviews WHERE system_id = $1`, [systemId]);
      return rows[0]?.status === 'reassessed' ? rows[0] : undefined;
    });
    expect(reassessed.reason).toBe('incident');
    expect(await stateOf(systemId)).toBe('active');
  });

  it('retires a suspended system: its hold ends, and its incident carries on to its closure', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Retired while suspended');
    const incident = await suspendingIncident(systemId, 'unfixable');
    await stateIs(systemId, 'suspended');
    const resolution = await h.openTask(systemId, 'incident_resolution');
    expect(
      (await h.api('POST', `/api/v1/systems/${systemId}/retirement`, { body: { reason: 'not worth fixing', retireOn: new Date().toISOString().slice(0, 10) } }))
        .status,
    ).toBe(202);
    await h.decide((await h.openTask(systemId, 'retirement_approval')).id, 'lead', 'approve');
    await stateIs(systemId, 'retiring');
    const holds = await h.pool.query('SELECT released_at FROM suspension_holds WHERE system_id = $1', [systemId]);
    expect(holds.rows.every((row) => row.released_at !== null)).toBe(true);
    // The retirement swept its other processes, and left the incident and its open stage alone.
    await h.openTask(systemId, 'retirement_data_disposal');
    expect((await h.api('GET', `/api/v1/tasks/${resolution.id}`, { as: 'lead' })).body.task.status).toBe('open');

    await closeIncident(systemId, incident);
    expect(await h.temporal.workflow.getHandle(incident).result()).toMatchObject({ outcome: 'closed', suspended: true });
    // Closing lets go of a hold the retirement already ended: the system stays on its way out.
    expect(await stateOf(systemId)).toBe('retiring');
  });

  it('releases the hold of an incident whose workflow ended without letting go, and resumes the system', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Orphaned suspension');
    const incident = await suspendingIncident(systemId, 'operator terminated the incident');
    await stateIs(systemId, 'suspended');
    expect(await h.activities.releaseEndedHolds()).toEqual({ released: [] });

    await h.temporal.workflow.getHandle(incident).terminate('operator mistake');
    expect(await h.activities.releaseEndedHolds()).toEqual({ released: [incident] });
    expect(await stateOf(systemId)).toBe('active');
    const { rows } = await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'system.state_changed' ORDER BY seq DESC LIMIT 1`, [
      systemId,
    ]);
    expect(rows[0].data).toMatchObject({
      from: 'suspended',
      to: 'active',
      holder: incident,
      reason: 'the holding workflow ended (terminated) without releasing it',
    });
  });
});
