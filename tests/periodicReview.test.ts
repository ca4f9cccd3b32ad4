import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePolicy } from '../api/policy';
import { syncReviewSchedulesToNewPolicy } from '../worker/schedules';
import { scheduleIds, searchAttributes, workflowIds } from '../workflows/contracts';
import { sampleRiskRegister } from './helpers/samples';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { noAssessmentPolicy, reviewPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const activeSystem = (name: string) => h.fileAcceptedSystem(name);

/** An active system whose risk register version 1 was signed off (no impact assessment under this policy). */
async function signedOffSystem(name: string): Promise<string> {
  h.usePolicy(reviewPolicy('365d', noAssessmentPolicy));
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  const systemId = filed.body.systemId as string;
  await h.decide((await h.openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
  await h.decide((await h.openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: sampleRiskRegister('low') });
  await h.decide((await h.openTask(systemId, 'risk_signoff')).id, 'risk', 'approve');
  await h.temporal.workflow.getHandle(workflowIds.intake(systemId)).result();
  return systemId;
}

const systemRow = async (systemId: string) =>
  (await h.pool.query('SELECT state, next_review_due, last_reviewed_at, risk_tier FROM ai_systems WHERE id = $1', [systemId])).rows[0];
const reviewsOf = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}/reviews`, { as: 'lead' })).body;
const auditTypes = async (systemId: string) =>
  (await h.pool.query<{ type: string }>('SELECT type FROM audit_events WHERE system_id = $1 ORDER BY seq', [systemId])).rows.map((row) => row.type);

describe('periodic review', () => {
  it('runs on the system’s own schedule; the owner attests “unchanged” and the next review falls one interval later', async () => {
    h.usePolicy(reviewPolicy('4s'));
    const systemId = await activeSystem('Scheduled review');
    const schedule = await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe();
    expect(Number(schedule.spec.intervals?.[0]?.every)).toBe(4_000);
    expect(schedule.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 60_000 });

    const attestation = await h.openTask(systemId, 'review_attestation');
    expect(attestation.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['owner']);
    expect((await systemRow(systemId)).state).toBe('under_review');
    const before = Date.now();
    expect((await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'unchanged' } })).status).toBe(200);

    const reviewed = await eventually(async () => {
      const row = await systemRow(systemId);
      return row.state === 'active' && row.last_reviewed_at.getTime() >= before ? row : undefined;
    });
    expect(reviewed.next_review_due.getTime() - reviewed.last_reviewed_at.getTime()).toBeGreaterThanOrEqual(3_000);
    const body = await reviewsOf(systemId);
    expect(body.reviews[0]).toMatchObject({ reason: 'scheduled', requesterId: 'aims-flow', status: 'unchanged', attestation: { status: 'unchanged' } });
    expect(body.schedule).toMatchObject({ everyMs: 4_000, paused: false });
    // The schedule's runs fall on the next review date the review set.
    await eventually(async () => {
      const interval = (await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).describe()).spec.intervals?.[0];
      return Number(interval?.offset) === reviewed.next_review_due.getTime() % 4_000 ? true : undefined;
    });
    expect(await auditTypes(systemId)).toEqual(expect.arrayContaining(['review.opened', 'review.completed']));

    // The schedule goes on: the next review opens by itself.
    const next = await eventually(async () => {
      const { reviews } = await reviewsOf(systemId);
      return reviews.length === 2 ? reviews[0] : undefined;
    }, 15_000);
    expect(next).toMatchObject({ reason: 'scheduled', status: 'open' });
    h.usePolicy(noAssessmentPolicy);
  });

  it('starts a re-assessment when the owner attests a change, continuing the version numbering', async () => {
    const systemId = await signedOffSystem('Changed system');

    const key = { 'idempotency-key': `review-${systemId}` };
    const asked = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {}, headers: key });
    expect(asked.status).toBe(202);
    const attestation = await h.openTask(systemId, 'review_attestation');
    const retried = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {}, headers: key });
    expect(retried).toMatchObject({ status: 202, body: { workflowId: asked.body.workflowId } });
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const again = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'owner', body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('review_open');

    const missingChanges = await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'changed' } });
    expect(missingChanges.status).toBe(400);
    await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'changed', changes: 'now also answers refund questions' } });

    const plan = await h.openTask(systemId, 'risk_treatment_plan');
    expect((await systemRow(systemId)).state).toBe('risk_treatment');
    await h.decide(plan.id, 'owner', 'submit', { submission: sampleRiskRegister('medium') });
    const signoff = await h.openTask(systemId, 'risk_signoff', (task) => task.subjectVersion === 2);
    await h.decide(signoff.id, 'risk', 'approve');
    await h.temporal.workflow.getHandle(asked.body.workflowId).result();

    expect((await systemRow(systemId)).state).toBe('active');
    const { rows } = await h.pool.query('SELECT version, outcome FROM risk_registers WHERE system_id = $1 ORDER BY version', [systemId]);
    expect(rows).toEqual([
      { version: 1, outcome: 'approved' },
      { version: 2, outcome: 'approved' },
    ]);
    expect((await reviewsOf(systemId)).reviews[0]).toMatchObject({ reason: 'requested', requesterId: 'lead', status: 'reassessed' });
    const states = (await h.pool.query(`SELECT data FROM audit_events WHERE system_id = $1 AND type = 'system.state_changed' ORDER BY seq`, [systemId])).rows;
    expect(states.map((row) => row.data.to).slice(-3)).toEqual(['assessment', 'risk_treatment', 'active']);
    h.usePolicy(noAssessmentPolicy);
  });

  it('triages a changed system again from its revised intake, and re-assesses it under the tier that gives', async () => {
    const systemId = await signedOffSystem('Screening assistant');
    expect((await systemRow(systemId)).risk_tier).toBe('low');
    const asked = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    const intake = sampleIntake({ name: 'Screening assistant', euAiAct: { roles: ['deployer'], euNexus: ['deployer_in_eu'], annexIII: ['4a'] } });
    const attestation = await h.openTask(systemId, 'review_attestation');
    const invalid = await h.decide(attestation.id, 'owner', 'submit', {
      submission: { status: 'changed', changes: 'now ranks applicants', intake: { ...intake, decisionRole: 'sometimes' } },
    });
    expect(invalid.status).toBe(400);
    await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'changed', changes: 'now ranks applicants', intake } });

    const plan = await h.openTask(systemId, 'risk_treatment_plan');
    const planWorkflow = await h.temporal.workflow.getHandle(workflowIds.task(plan.id)).describe();
    expect(planWorkflow.typedSearchAttributes.get(searchAttributes.tier)).toBe('high');
    const detail = (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;
    expect(detail.system).toMatchObject({ riskTier: 'high', triageRule: 'eu-ai-act:annex_iii_4a' });
    expect(detail.aiActClassification).toMatchObject({ intakeVersion: 2, highRisk: true });
    const revised = detail.history.find((event: { type: string }) => event.type === 'system.intake_revised');
    expect(revised).toMatchObject({ actorId: 'owner', data: { version: 2, reason: 'review' } });

    await h.decide(plan.id, 'owner', 'submit', { submission: sampleRiskRegister('medium') });
    await h.decide((await h.openTask(systemId, 'risk_signoff', (task) => task.subjectVersion === 2)).id, 'risk', 'approve');
    expect(await h.temporal.workflow.getHandle(asked.body.workflowId).result()).toMatchObject({ outcome: 'reassessed', state: 'active' });
    h.usePolicy(noAssessmentPolicy);
  });

  it('suspends a system whose revised intake is a prohibited practice at once, and starts its retirement', async () => {
    const systemId = await signedOffSystem('Agent mood meter');
    const schedule = h.temporal.schedule.getHandle(scheduleIds.review(systemId));
    const asked = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    const intake = sampleIntake({
      name: 'Agent mood meter',
      euAiAct: { roles: ['deployer'], euNexus: ['deployer_in_eu'], biometrics: { emotionRecognition: 'workplace' } },
    });
    const changes = 'now reads the agents’ emotions from their voices';
    await h.decide((await h.openTask(systemId, 'review_attestation')).id, 'owner', 'submit', { submission: { status: 'changed', changes, intake } });

    expect(await h.temporal.workflow.getHandle(asked.body.workflowId).result()).toMatchObject({ outcome: 'prohibited', state: 'suspended' });
    expect((await schedule.describe()).state.paused).toBe(true);
    const detail = (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;
    expect(detail.system).toMatchObject({ state: 'suspended', riskTier: 'prohibited', triageRule: 'eu-ai-act:art5_1_f' });
    expect(detail.aiActClassification).toMatchObject({ intakeVersion: 2, prohibited: true });
    expect((await reviewsOf(systemId)).reviews[0]).toMatchObject({ status: 'prohibited', attestation: { status: 'changed', changes } });
    // No re-assessment keeps it in service: the retirement the platform asked for goes up the policy's approval chain.
    const approval = await h.openTask(systemId, 'retirement_approval');
    expect(approval.requesterId).toBe('aims-flow');
    for (let step = 0; step < approval.stepCount; step++) {
      const atStep = await h.openTask(systemId, 'retirement_approval', (task) => task.currentStep === step);
      const approver = atStep.assignees.find((seat: { step: number }) => seat.step === step).principalId;
      expect((await h.decide(atStep.id, approver, 'approve')).status).toBe(200);
    }
    await eventually(async () => ((await systemRow(systemId)).state === 'retiring' ? true : undefined));
    h.usePolicy(noAssessmentPolicy);
  });

  it('suspends the system when the re-assessment fails, until a review takes it up again straight into a re-assessment', async () => {
    const systemId = await signedOffSystem('Failed re-assessment');
    const schedule = h.temporal.schedule.getHandle(scheduleIds.review(systemId));

    const first = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    await h.decide((await h.openTask(systemId, 'review_attestation')).id, 'owner', 'submit', {
      submission: { status: 'changed', changes: 'new model version' },
    });
    await h.decide((await h.openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: sampleRiskRegister('medium') });
    await h.decide((await h.openTask(systemId, 'risk_signoff', (task) => task.subjectVersion === 2)).id, 'risk', 'reject');
    expect(await h.temporal.workflow.getHandle(first.body.workflowId).result()).toMatchObject({ outcome: 'reassessment_failed', state: 'suspended' });
    expect((await systemRow(systemId)).state).toBe('suspended');
    expect((await schedule.describe()).state.paused).toBe(true);

    const again = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    expect(again.status).toBe(202);
    const plan = await h.openTask(systemId, 'risk_treatment_plan');
    expect((await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.openTasks.map((task: { kind: string }) => task.kind)).toEqual([
      'risk_treatment_plan',
    ]);
    await h.decide(plan.id, 'owner', 'submit', { submission: sampleRiskRegister('low') });
    await h.decide((await h.openTask(systemId, 'risk_signoff', (task) => task.subjectVersion === 3)).id, 'risk', 'approve');
    expect(await h.temporal.workflow.getHandle(again.body.workflowId).result()).toMatchObject({ outcome: 'reassessed', state: 'active' });
    expect((await schedule.describe()).state.paused).toBe(false);
    expect((await reviewsOf(systemId)).reviews.map((review: { status: string; fromState: string }) => [review.fromState, review.status])).toEqual([
      ['suspended', 'reassessed'],
      ['active', 'reassessment_failed'],
    ]);
    h.usePolicy(noAssessmentPolicy);
  });

  it('reminds and escalates an overdue attestation to the owner’s manager and the governance leads, then keeps the review overdue', async () => {
    h.usePolicy(reviewPolicy('365d'));
    const systemId = await activeSystem('Overdue review');
    const dueBefore = (await systemRow(systemId)).next_review_due;
    const asked = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'owner', body: {} });
    expect(asked.status).toBe(202);
    const attestation = await h.openTask(systemId, 'review_attestation');

    const outcome = await h.temporal.workflow.getHandle(asked.body.workflowId).result();
    expect(outcome).toMatchObject({ outcome: 'expired', state: 'active' });
    const escalations = (await h.pool.query(`SELECT data FROM audit_events WHERE task_id = $1 AND type = 'task.escalated' ORDER BY seq`, [attestation.id]))
      .rows;
    expect(escalations.map((row) => [row.data.action, row.data.target])).toEqual([
      ['notify', 'manager'],
      ['add', 'governance_lead'],
    ]);
    await h.mail.waitFor((m) => m.to.includes(h.people.ownerManager.email) && m.subject.startsWith('Overdue: Attest'));
    await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.startsWith('Escalated to you: Attest'));
    const row = await systemRow(systemId);
    expect(row.state).toBe('active');
    expect(row.next_review_due).toEqual(dueBefore);
    expect((await reviewsOf(systemId)).reviews[0].status).toBe('expired');
    expect(await auditTypes(systemId)).toContain('review.expired');
    h.usePolicy(noAssessmentPolicy);
  });

  it('follows the tier: a re-tiering changes the interval; refuses reviews the lifecycle does not allow', async () => {
    h.usePolicy(reviewPolicy('365d'));
    const systemId = await activeSystem('Re-tiered system');
    const handle = h.temporal.schedule.getHandle(scheduleIds.review(systemId));
    expect(Number((await handle.describe()).spec.intervals?.[0]?.every)).toBe(365 * 86_400_000);

    expect((await h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as: 'owner', body: { tier: 'high', reason: 'now used in hiring' } })).status).toBe(403);
    const bad = await h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as: 'lead', body: { tier: 'extreme' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.fields)).toEqual(['tier', 'reason']);
    expect(bad.body.fields.tier[0]).toContain('choose one of: low, medium, high, prohibited');
    const retiered = await h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as: 'lead', body: { tier: 'high', reason: 'now used in hiring' } });
    expect(retiered.status).toBe(200);
    expect(Number((await handle.describe()).spec.intervals?.[0]?.every)).toBe(preparePolicy(reviewPolicy('365d')).review.intervalByTier.high);
    expect(await auditTypes(systemId)).toContain('system.retiered');
    const prohibited = await h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as: 'lead', body: { tier: 'prohibited', reason: 'now scores citizens' } });
    expect(prohibited).toMatchObject({ status: 409, body: { error: 'prohibited_in_service' } });
    // A worker starting under a new policy version brings every schedule to its interval, once.
    const base = reviewPolicy('365d');
    const newPolicy = preparePolicy({ ...base, review: { ...base.review, intervalByTier: { ...base.review.intervalByTier, high: '90d' } } });
    const workerDeps = { pool: h.pool, temporal: h.temporal, taskQueue: h.taskQueue };
    expect(await syncReviewSchedulesToNewPolicy(workerDeps, newPolicy)).toBeGreaterThan(0);
    const every = async () => Number((await handle.describe()).spec.intervals?.[0]?.every);
    expect(await every()).toBe(90 * 86_400_000);
    // The next start under that version leaves the schedules alone: one changed by hand meanwhile stays so.
    await handle.update((previous) => ({ ...previous, spec: { intervals: [{ every: 30 * 86_400_000 }] } }));
    expect(await syncReviewSchedulesToNewPolicy(workerDeps, newPolicy)).toBe('already synced');
    expect(await every()).toBe(30 * 86_400_000);

    const intake = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Still in triage' }) });
    await h.openTask(intake.body.systemId, 'intake_triage');
    const early = await h.api('POST', `/api/v1/systems/${intake.body.systemId}/reviews`, { as: 'lead', body: {} });
    expect(early.status).toBe(409);
    expect(early.body.message).toContain("state 'intake'");
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'approver', body: {} })).status).toBe(403);
    h.usePolicy(noAssessmentPolicy);
  });
});
