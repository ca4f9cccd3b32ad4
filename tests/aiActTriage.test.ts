import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

/** An analytics system the organisation's rules put in the low tier, deployed in the Union. */
const lowTierIntake = (name: string, euAiAct: Record<string, unknown>) =>
  sampleIntake({
    name,
    useCategory: 'analytics',
    impactAreas: [],
    dataCategories: [],
    decisionRole: 'decision_support',
    euAiAct: { roles: ['deployer'], euNexus: ['deployer_in_eu'], ...euAiAct },
  });

async function file(intake: unknown) {
  const filed = await h.api('POST', '/api/v1/systems', { body: intake });
  expect(filed.status).toBe(202);
  const systemId = filed.body.systemId as string;
  const task = await h.openTask(systemId, 'intake_triage');
  return { systemId, task };
}

const systemDetail = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;
const flagCodes = (classification: { flags: { code: string }[] }) => classification.flags.map((flag) => flag.code);

describe('triage under the EU AI Act', () => {
  it('classifies the intake from its answers, raises the tier to the high-risk floor and keeps the chatbot’s transparency duty', async () => {
    const { systemId } = await file(
      lowTierIntake('Interview assistant', { annexIII: ['4a'], roles: ['provider', 'deployer'], transparency: ['interacts_directly'] }),
    );

    const detail = await systemDetail(systemId);
    expect(detail.system).toMatchObject({ riskTier: 'high', triageRule: 'eu-ai-act:annex_iii_4a' });
    expect(detail.system.triageReason).toBe('Recruitment or selection of people (Regulation (EU) 2024/1689, Art. 6(2), Annex III point 4(a))');
    expect(detail.aiActClassification).toMatchObject({
      intakeVersion: 1,
      inScope: true,
      prohibited: false,
      highRisk: true,
      rulesVersion: 'eu-ai-act-2024-1689/3',
    });
    expect(flagCodes(detail.aiActClassification)).toEqual(expect.arrayContaining(['annex_iii_4a', 'art16', 'art26', 'art50_1']));
    expect(detail.aiActClassification.flags.find((flag: { code: string }) => flag.code === 'annex_iii_4a')).toMatchObject({
      kind: 'high_risk',
      restsOn: ['annexIII: 4a'],
      appliesFrom: '2026-08-02',
    });
    // The lead's emailed page shows what the law makes of it beside the intake.
    const email = await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.endsWith(': Interview assistant'));
    const page = await (await fetch(email.links[0])).text();
    expect(page).toContain('<h2>EU AI Act classification: high-risk</h2>');
    expect(page).toContain(
      '<li>high risk: Recruitment or selection of people (Regulation (EU) 2024/1689, Art. 6(2), Annex III point 4(a); applies from 2026-08-02)</li>',
    );
    const triaged = detail.history.find((event: { type: string }) => event.type === 'system.triaged');
    expect(triaged.data).toMatchObject({ tier: 'high', organisationalTier: 'low', ruleId: 'eu-ai-act:annex_iii_4a' });
    const classified = detail.history.find((event: { type: string }) => event.type === 'system.ai_act_classified');
    expect(classified.data).toMatchObject({ intakeVersion: 1, highRisk: true, prohibited: false });
    expect(classified.data.flags).toContainEqual({ kind: 'transparency', code: 'art50_1', citation: 'Regulation (EU) 2024/1689, Art. 50(1)' });
  });

  it('finds emotion recognition at work prohibited, and an accepted intake then never goes into service', async () => {
    const { systemId, task } = await file(lowTierIntake('Call centre mood meter', { biometrics: { emotionRecognition: 'workplace' } }));
    const detail = await systemDetail(systemId);
    expect(detail.system).toMatchObject({ riskTier: 'prohibited', triageRule: 'eu-ai-act:art5_1_f' });
    expect(detail.aiActClassification).toMatchObject({ prohibited: true });
    expect(flagCodes(detail.aiActClassification)).toEqual(['art5_1_f', 'art4']);

    expect((await h.decide(task.id, 'lead', 'accept')).status).toBe(200);
    await eventually(async () => ((await systemDetail(systemId)).system.state === 'rejected' ? true : undefined));
  });

  it('classifies again when the owner amends the intake, keeping each version’s classification', async () => {
    const intake = lowTierIntake('Shift planner', {});
    const { systemId } = await file(intake);
    expect((await systemDetail(systemId)).system.riskTier).toBe('low');
    expect((await systemDetail(systemId)).aiActClassification).toMatchObject({ intakeVersion: 1, highRisk: false });

    const amended = lowTierIntake('Shift planner', { annexIII: ['4b'], affectedGroups: ['workers'] });
    const amendment = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { as: 'owner', body: amended });
    expect(amendment.body).toMatchObject({ intakeVersion: 2, tier: 'high' });
    const detail = await systemDetail(systemId);
    expect(detail.aiActClassification).toMatchObject({ intakeVersion: 2, highRisk: true });
    expect(flagCodes(detail.aiActClassification)).toEqual(expect.arrayContaining(['annex_iii_4b', 'art26_7']));
  });

  it('triages an intake without answers by the organisation’s rules alone, unclassified', async () => {
    const { systemId } = await file(sampleIntake({ name: 'Invoice matcher' }));
    const detail = await systemDetail(systemId);
    expect(detail.system.riskTier).toBe('low');
    expect(detail.aiActClassification).toBeNull();
    expect(detail.history.map((event: { type: string }) => event.type)).not.toContain('system.ai_act_classified');
  });

  it('refuses an answer the questions do not offer, naming it', async () => {
    const refused = await h.api('POST', '/api/v1/systems', { body: lowTierIntake('Misfiled', { annexIII: ['9z'] }) });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.body.fields)).toEqual(['euAiAct.annexIII.0']);
    const noRole = await h.api('POST', '/api/v1/systems', { body: lowTierIntake('No role', { roles: [] }) });
    expect(noRole.body.fields).toEqual({ 'euAiAct.roles': ['name the organisation’s role for this system'] });
  });

  it('follows a lead who overrides a prohibited classification at triage with a reason, and records who overrode what and why', async () => {
    const { systemId, task } = await file(lowTierIntake('Fatigue monitor', { biometrics: { emotionRecognition: 'workplace' } }));
    const noReason = await h.decide(task.id, 'lead', 'accept', { submission: { classification: { verdict: 'overridden', tier: 'high' } } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('classification.reason');

    const reason = 'detects drowsiness of drivers for their safety: the Art. 5(1)(f) safety exception applies';
    const accepted = await h.decide(task.id, 'lead', 'accept', { submission: { classification: { verdict: 'overridden', tier: 'high', reason } } });
    expect(accepted.status).toBe(200);
    const detail = await eventually(async () => {
      const body = await systemDetail(systemId);
      return body.system.state === 'active' ? body : undefined;
    });
    expect(detail.system).toMatchObject({ riskTier: 'high', triageRule: 'override', triageReason: reason });
    const overridden = detail.history.find((event: { type: string }) => event.type === 'system.triage_overridden');
    expect(overridden).toMatchObject({
      actorId: 'lead',
      data: { tier: 'prohibited', ruleId: 'eu-ai-act:art5_1_f', overriddenTo: 'high', reason, taskId: task.id },
    });
    // The classification stays as the law's reading of the answers; the decision on it is the override.
    expect(detail.aiActClassification).toMatchObject({ prohibited: true });

    // Revised at a review with the practice it overrode, the override stands: the system is re-assessed, not retired.
    const review = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    const intake = lowTierIntake('Fatigue monitor', { biometrics: { emotionRecognition: 'workplace' }, memberStates: ['DE'] });
    await h.decide((await h.openTask(systemId, 'review_attestation')).id, 'owner', 'submit', {
      submission: { status: 'changed', changes: 'now also used in Germany', intake },
    });
    expect(await h.temporal.workflow.getHandle(review.body.workflowId).result()).toMatchObject({ outcome: 'reassessed', state: 'active' });
    expect((await systemDetail(systemId)).system).toMatchObject({ riskTier: 'high', triageRule: 'override' });
  });

  it('records a confirmation given on the emailed triage page, and takes an acceptance without a verdict as it is', async () => {
    const { systemId } = await file(lowTierIntake('CV ranker', { annexIII: ['4a'] }));
    const email = await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject.endsWith(': CV ranker'));
    const page = await (await fetch(email.links[0])).text();
    expect(page).toContain('<legend>If you accept: the tier and classification</legend>');
    const response = await submitActionForm(email.links[0], { choice: 'accept', verdict: 'confirmed' });
    expect(response.status).toBe(200);
    const confirmed = await eventually(async () =>
      (await systemDetail(systemId)).history.find((event: { type: string }) => event.type === 'system.triage_confirmed'),
    );
    expect(confirmed).toMatchObject({ actorId: 'lead', data: { tier: 'high', ruleId: 'eu-ai-act:annex_iii_4a' } });

    const { systemId: unjudged, task } = await file(lowTierIntake('CV sorter', { annexIII: ['4a'] }));
    await h.decide(task.id, 'lead', 'accept');
    const detail = await eventually(async () => {
      const body = await systemDetail(unjudged);
      return body.system.state === 'active' ? body : undefined;
    });
    expect(detail.system.riskTier).toBe('high');
    const types = detail.history.map((event: { type: string }) => event.type);
    expect(types).not.toContain('system.triage_confirmed');
    expect(types).not.toContain('system.triage_overridden');
  });
});
