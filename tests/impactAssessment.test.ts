import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, type CastMember, type Harness } from './helpers/harness';
import { sampleAssessment } from './helpers/samples';
import { calmPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

/** A medium-tier intake (customer service), accepted by the lead: the impact assessment starts. */
async function acceptedMediumIntake(name: string) {
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name, useCategory: 'customer_service' }) });
  const systemId = filed.body.systemId as string;
  const triage = await openTask(systemId, 'intake_triage');
  expect((await h.decide(triage.id, 'lead', 'accept')).status).toBe(200);
  return systemId;
}

const openTask = (systemId: string, kind: string, where?: (task: any) => boolean) => h.openTask(systemId, kind, where);
const openReviews = (systemId: string, count: number, version: number) =>
  eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    const reviews = body.openTasks?.filter((task: any) => task.kind === 'impact_review' && task.subjectVersion === version);
    return reviews?.length === count ? reviews : undefined;
  });
const reviewBy = (reviews: any[], who: CastMember) => reviews.find((task) => task.assignees.some((a: { principalId: string }) => a.principalId === who));
const systemDetail = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;

describe('impact assessment (ISO/IEC 42005)', () => {
  it('takes the owner’s structured assessment, has the tier’s specialists approve it in parallel, and sets the impact level', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await acceptedMediumIntake('Assessed chatbot');
    const submission = await openTask(systemId, 'impact_assessment');
    expect(submission.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['owner']);
    await h.mail.waitFor(
      (m) => m.to.includes(h.people.owner.email) && m.subject === 'Action needed: Submit the impact assessment (ISO/IEC 42005): Assessed chatbot',
    );

    const invalid = await h.decide(submission.id, 'owner', 'submit', {
      submission: { ...sampleAssessment(), impacts: [], deployment: { environment: 'web', geographies: [], languages: ['en'] } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toContain('deployment.geographies: name at least one geography');
    expect(invalid.body.message).toContain('impacts: name at least one impact');
    const onlyBenefits = await h.decide(submission.id, 'owner', 'submit', { submission: { ...sampleAssessment(), impacts: [sampleAssessment().impacts[0]] } });
    expect(onlyBenefits.body.message).toContain('name at least one foreseeable harm');

    expect((await h.decide(submission.id, 'owner', 'submit', { submission: sampleAssessment() })).status).toBe(200);
    const reviews = await openReviews(systemId, 2, 1);
    const {
      rows: [stored],
    } = await h.pool.query('SELECT content_hash FROM impact_assessments WHERE system_id = $1 AND version = 1', [systemId]);
    expect(reviews.map((task: { subjectHash: string }) => task.subjectHash)).toEqual([stored.content_hash, stored.content_hash]);
    expect(reviewBy(reviews, 'privacy')).toBeDefined();
    expect(reviewBy(reviews, 'risk')).toBeDefined();
    expect((await h.decide(reviewBy(reviews, 'privacy').id, 'owner', 'approve')).status).toBe(403);
    // The review was asked for by the lead who accepted the intake: the owner cannot withdraw it either.
    expect((await h.api('POST', `/api/v1/tasks/${reviewBy(reviews, 'risk').id}/withdraw`, { as: 'owner', body: {} })).status).toBe(403);

    for (const who of ['privacy', 'risk'] as const) expect((await h.decide(reviewBy(reviews, who).id, who, 'approve')).status).toBe(200);
    // Onboarding moves on to the risk treatment sign-off, whose plan the owner is now asked for.
    await openTask(systemId, 'risk_treatment_plan');
    const detail = await systemDetail(systemId);
    expect(detail.system).toMatchObject({ state: 'risk_treatment', riskTier: 'medium' });
    const {
      rows: [system],
    } = await h.pool.query('SELECT impact_level FROM ai_systems WHERE id = $1', [systemId]);
    expect(system.impact_level).toBe('medium');
    const types = detail.history.map((event: { type: string }) => event.type);
    expect(types).toEqual(expect.arrayContaining(['assessment.submitted', 'assessment.approved']));
    const moved = detail.history.find(
      (event: { type: string; data: { to?: string } }) => event.type === 'system.state_changed' && event.data.to === 'risk_treatment',
    );
    expect(moved.data).toMatchObject({ from: 'assessment', reason: expect.stringContaining('impact level medium') });

    const { body: assessments } = await h.api('GET', `/api/v1/systems/${systemId}/assessments`, { as: 'owner' });
    expect(assessments).toMatchObject({
      impactLevel: 'medium',
      assessments: [{ version: 1, outcome: 'approved', impactLevel: 'medium', contentHash: stored.content_hash, submittedBy: 'owner' }],
    });
    expect((await h.api('GET', `/api/v1/systems/${systemId}/assessments`, { as: 'approver' })).status).toBe(403);
    const { body: pack } = await h.api('GET', `/api/v1/systems/${systemId}/evidence`, { as: 'auditor' });
    expect(pack.assessments).toHaveLength(1);
    const evidenceOf = (id: string) => pack.controls.find((control: { id: string }) => control.id === id).evidence;
    expect(evidenceOf('A.5.4')).toEqual([expect.objectContaining({ record: 'impact_assessment' })]);
    // The assessment named impacts on individuals only: it is no evidence of a societal assessment.
    expect(evidenceOf('A.5.5')).toEqual([]);
  });

  it('sends the owner back on changes requested, and reviews the new version bound to its own hash', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await acceptedMediumIntake('Revised assessment');
    await h.decide((await openTask(systemId, 'impact_assessment')).id, 'owner', 'submit', { submission: sampleAssessment() });
    const first = await openReviews(systemId, 2, 1);
    await h.decide(reviewBy(first, 'privacy').id, 'privacy', 'request_changes', { comment: 'say how long messages are kept' });
    await h.decide(reviewBy(first, 'risk').id, 'risk', 'approve');

    const resubmission = await openTask(systemId, 'impact_assessment', (task) => task.subjectVersion === 1);
    const revised = sampleAssessment({ data: { description: 'Customer messages and order records', quality: 'Messages are deleted after 30 days' } });
    await h.decide(resubmission.id, 'owner', 'submit', { submission: revised });
    const second = await openReviews(systemId, 2, 2);
    expect(second[0].subjectHash).not.toBe(first[0].subjectHash);
    for (const who of ['privacy', 'risk'] as const) await h.decide(reviewBy(second, who).id, who, 'approve');
    await eventually(async () => ((await systemDetail(systemId)).system.state === 'risk_treatment' ? true : undefined));
    const { rows } = await h.pool.query('SELECT version, outcome FROM impact_assessments WHERE system_id = $1 ORDER BY version', [systemId]);
    expect(rows).toEqual([
      { version: 1, outcome: 'changes_requested' },
      { version: 2, outcome: 'approved' },
    ]);
  });

  it('rejects the system when a specialist rejects, withdrawing the other open reviews', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await acceptedMediumIntake('Rejected assessment');
    await h.decide((await openTask(systemId, 'impact_assessment')).id, 'owner', 'submit', { submission: sampleAssessment() });
    const reviews = await openReviews(systemId, 2, 1);
    await h.decide(reviewBy(reviews, 'risk').id, 'risk', 'reject', { comment: 'no human fallback at night' });
    const detail = await eventually(async () => {
      const current = await systemDetail(systemId);
      return current.system.state === 'rejected' ? current : undefined;
    });
    expect(detail.tasks.find((task: { id: string }) => task.id === reviewBy(reviews, 'privacy').id)).toMatchObject({ status: 'withdrawn' });
    expect(detail.history.map((event: { type: string }) => event.type)).toContain('assessment.rejected');
  });

  it('moves a system whose tier needs no assessment under the policy straight on to risk treatment', async () => {
    h.usePolicy({ ...calmPolicy, assessment: { ...calmPolicy.assessment, requiredForTiers: ['medium', 'high', 'prohibited'] } });
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Low tier, no assessment' }) });
    const triage = await openTask(filed.body.systemId, 'intake_triage');
    await h.decide(triage.id, 'lead', 'accept');
    await openTask(filed.body.systemId, 'risk_treatment_plan');
    const detail = await systemDetail(filed.body.systemId);
    expect(detail.system).toMatchObject({ state: 'risk_treatment', riskTier: 'low' });
    expect(detail.history.map((event: { type: string }) => event.type)).not.toContain('assessment.submitted');
  });
});
