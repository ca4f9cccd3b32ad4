import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyInput } from '../domain/policy';
import type { CaughtMail } from '../scripts/mailCatcher';
import { scheduleIds } from '../workflows/contracts';
import { sampleAssessment, sampleRiskRegister } from './helpers/samples';
import { eventually, sampleIntake, startHarness, submitActionForm, type CastMember, type Harness } from './helpers/harness';
import { calmPolicy } from './helpers/policies';

/**
 * The calm policy with seconds where the walk shows time passing: a high-severity incident must be
 * acknowledged within 2 s, after which the governance leads are added to it.
 */
const walkPolicy: PolicyInput = {
  ...calmPolicy,
  name: 'test-end-to-end',
  incident: {
    ...calmPolicy.incident,
    slaBySeverity: { ...calmPolicy.incident.slaBySeverity, high: { acknowledge: '2s', contain: '1h', resolve: '1h' } },
    ladderBySeverity: { ...calmPolicy.incident.ladderBySeverity, high: [{ action: 'add', target: 'governance_lead', window: '1h' }] },
  },
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(walkPolicy);
});
afterAll(() => h?.stop());

const systemName = 'Support chatbot';
let systemId: string;
const system = async () => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body;
const auditTypes = async () => (await system()).history.map((event: { type: string }) => event.type) as string[];
const stateIs = (state: string) => eventually(async () => ((await system()).system.state === state ? true : undefined));

/** The person's "Action needed" email for the task title, and the decision posted through its link's form. */
async function actOnEmail(as: CastMember, title: string, fields: Record<string, string>) {
  const subjectPrefix = 'Action needed';
  const email: CaughtMail = await h.mail.waitFor((m) => m.to.includes(h.people[as].email) && m.subject === `${subjectPrefix}: ${title}: ${systemName}`, 20_000);
  const link = email.links.find((url) => url.includes('/actions/'))!;
  const page = await fetch(link);
  expect(page.status).toBe(200);
  const response = await submitActionForm(link, fields);
  expect(response.status, await response.clone().text()).toBe(200);
  return email;
}

describe('an AI system’s whole life, through the HTTP API and emailed links only', () => {
  it('is filed, triaged, assessed, treated, reviewed, suspended by an incident, resumed and retired', async () => {
    // 1. Intake: the owner files, a governance lead accepts from the emailed link.
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: systemName }) });
    expect(filed.status).toBe(202);
    systemId = filed.body.systemId;
    await actOnEmail('lead', 'Triage an AI system intake', { choice: 'accept', comment: 'low tier confirmed' });
    await stateIs('assessment');

    // 2. Impact assessment: the owner submits it, the risk officer (the low tier's reviewer) approves.
    await actOnEmail('owner', 'Submit the impact assessment (ISO/IEC 42005)', { choice: 'submit', submission: JSON.stringify(sampleAssessment()) });
    await actOnEmail('risk', 'Review the impact assessment', { choice: 'approve' });
    await stateIs('risk_treatment');

    // 3. Risk treatment: the owner's register, signed off by the risk officer; the system goes into service.
    await actOnEmail('owner', 'Submit the risk treatment plan (ISO/IEC 23894)', { choice: 'submit', submission: JSON.stringify(sampleRiskRegister('low')) });
    await actOnEmail('risk', 'Sign off the risk treatment plan', { choice: 'approve' });
    await stateIs('active');
    const schedule = h.temporal.schedule.getHandle(scheduleIds.review(systemId));
    // Activation creates the review schedule right after the state change.
    expect((await eventually(() => schedule.describe().catch(() => undefined))).state.paused).toBe(false);
    expect((await system()).system.nextReviewDue).toBeTruthy();

    // 4. Periodic review, asked for now: the owner attests nothing changed.
    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} })).status).toBe(202);
    await stateIs('under_review');
    await actOnEmail('owner', 'Attest the periodic review of your AI system', { choice: 'submit', submission: JSON.stringify({ status: 'unchanged' }) });
    await stateIs('active');
    expect(await auditTypes()).toEqual(expect.arrayContaining(['review.opened', 'review.completed']));

    // 5. Incident: reported through the API; a missed acknowledgement brings in the leads; containment suspends.
    const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      as: 'approver',
      body: { severity: 'high', description: 'The chatbot promised refunds it cannot give', occurredAt: new Date(Date.now() - 60_000).toISOString() },
    });
    expect(reported.status).toBe(202);
    await h.mail.waitFor((m) => m.to.includes(h.people.lead.email) && m.subject === `Escalated to you: Acknowledge an incident: ${systemName}`, 20_000);
    await actOnEmail('owner', 'Acknowledge an incident', { choice: 'acknowledge' });
    await actOnEmail('owner', 'Contain an incident', {
      choice: 'contain',
      submission: JSON.stringify({ actions: 'chatbot switched off', suspendSystem: true }),
    });
    await stateIs('suspended');
    expect((await schedule.describe()).state.paused).toBe(true);
    await actOnEmail('owner', 'Resolve an incident', {
      choice: 'resolve',
      submission: JSON.stringify({ rootCause: 'refund policy missing from the prompt', actions: 'prompt fixed, tests added' }),
    });
    await actOnEmail('lead', 'Approve the closure of an incident', { choice: 'close' });
    await stateIs('active');
    expect((await schedule.describe()).state.paused).toBe(false);
    const incidentEvents = ['incident.reported', 'incident.acknowledged', 'incident.contained', 'incident.resolved', 'incident.closed'];
    await eventually(async () => {
      const types = await auditTypes();
      return incidentEvents.every((type) => types.includes(type)) ? true : undefined;
    });

    // 6. Retirement: requested by the owner, approved, the checklist done by its holders, signed off.
    const requested = await h.api('POST', `/api/v1/systems/${systemId}/retirement`, {
      body: { reason: 'replaced by the new help centre', retireOn: new Date().toISOString().slice(0, 10) },
    });
    expect(requested.status).toBe(202);
    await actOnEmail('lead', 'Approve the retirement of an AI system', { choice: 'approve' });
    await stateIs('retiring');
    await eventually(() =>
      schedule.describe().then(
        () => undefined,
        () => true,
      ),
    );
    await Promise.all([
      actOnEmail('privacy', 'Retirement: retain or dispose of the data', {
        choice: 'done',
        submission: JSON.stringify({ evidence: 'transcripts deleted, ticket DP-12' }),
      }),
      // Nobody holds security_officer here: the item falls to the governance leads.
      actOnEmail('lead', 'Retirement: revoke access and credentials', { choice: 'done', submission: JSON.stringify({ evidence: 'API keys revoked' }) }),
      actOnEmail('owner', 'Retirement: notify users and affected parties', {
        choice: 'done',
        submission: JSON.stringify({ evidence: 'banner on the help page' }),
      }),
      actOnEmail('lead', 'Retirement: archive the documentation', { choice: 'done', submission: JSON.stringify({ evidence: 'archived to DMS-881' }) }),
    ]);
    await actOnEmail('lead', 'Sign off the retirement of an AI system', { choice: 'approve' });
    await stateIs('retired');

    const final = await system();
    expect(final.openTasks).toEqual([]);
    expect(final.processes.map((run: { process: string }) => run.process)).toEqual(['intake', 'periodic_review', 'incident', 'retirement']);
    const states = final.history
      .filter((event: { type: string }) => event.type === 'system.state_changed')
      .map((event: { data: { to: string } }) => event.data.to);
    expect(states).toEqual(['assessment', 'risk_treatment', 'active', 'suspended', 'active', 'retiring', 'retired']);
    expect((await h.api('GET', '/api/v1/audit/verify', { as: 'auditor' })).body.ok).toBe(true);
    const { body: pack } = await h.api('GET', `/api/v1/systems/${systemId}/evidence`, { as: 'auditor' });
    expect(pack.reviews).toEqual([expect.objectContaining({ reason: 'requested', status: 'unchanged' })]);
    expect(pack.incidents).toEqual([expect.objectContaining({ severity: 'high', stage: 'closed', suspendedSystem: true })]);
    expect(pack.retirements).toEqual([expect.objectContaining({ status: 'retired' })]);
    const evidenced = (id: string) =>
      pack.controls.find((control: { id: string }) => control.id === id).evidence.map((item: { record: string }) => item.record);
    expect(evidenced('A.6.2.6')).toEqual(['periodic_review']);
    expect(evidenced('A.3.3')).toEqual(['incident']);
    // Not serious, so never reported to the authority: nothing for A.8.4.
    expect(evidenced('A.8.4')).toEqual([]);
    expect(evidenced('A.6.2.5')).toEqual(['lifecycle_gate']);
    expect(evidenced('A.8.5')).toEqual(['retirement']);
    // The assessment named harms to individuals only, so nothing for A.5.5; the register's risk R1 names A.6.2.4.
    expect(evidenced('A.5.4')).toEqual(['impact_assessment']);
    expect(evidenced('A.5.5')).toEqual([]);
    expect(pack.controls.find((control: { id: string }) => control.id === 'A.6.2.4').evidence).toEqual([
      expect.objectContaining({ record: 'risk_treatment', shows: expect.stringContaining('risk R1 (Wrong order information given to customers)') }),
    ]);
    const clause = (id: string) => pack.clauses.find((entry: { id: string }) => entry.id === id);
    expect(clause('6.1.3').evidence.map((item: { record: string }) => item.record)).toEqual(['risk_treatment']);
    expect(clause('7.5').evidence.map((item: { record: string }) => item.record)).toEqual(['audit_trail']);
    expect(pack.controls.flatMap((control: { findings: unknown[] }) => control.findings)).toEqual([]);
    const page = await h.api('GET', `/api/v1/systems/${systemId}/evidence?format=html`, { as: 'auditor' });
    expect(page.body).toContain('The chatbot promised refunds it cannot give');
    expect(page.body).toContain('transcripts deleted, ticket DP-12');
    const refused = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
    expect(refused.status).toBe(409);
  });
});
