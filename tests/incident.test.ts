import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebSession } from '../db/sessions';
import type { PolicyInput } from '../domain/policy';
import { workflowIds } from '../workflows/contracts';
import { eventually, sampleIntake, startHarness, startStandaloneTriageTask, type CastMember, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  // One triage accept puts a system into service.
  h.usePolicy(triageOnlyPolicy);
});
afterAll(() => h?.stop());

const withIncidentPolicy = (incident: Partial<PolicyInput['incident']>): PolicyInput => ({
  ...triageOnlyPolicy,
  incident: { ...triageOnlyPolicy.incident, ...incident },
});

const containment = (suspendSystem: boolean) => ({ actions: 'Took the model endpoint offline and paused the campaign', suspendSystem });
const resolution = { rootCause: 'A prompt template leaked other customers’ order notes', actions: 'Template fixed and regression test added' };
const sampleReport = (overrides: Record<string, unknown> = {}) => ({
  severity: 'high',
  description: 'The assistant showed one customer another customer’s order notes',
  occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
  ...overrides,
});

const activeSystem = (name: string) => h.fileAcceptedSystem(name);
const seriousness = { limbs: ['fundamental_rights_infringement'], rationale: 'Order notes of one customer were shown to another' };

async function reportIncident(systemId: string, as: CastMember, report: Record<string, unknown>) {
  const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as, body: report });
  expect(reported.status).toBe(202);
  return reported.body as { incidentId: string; workflowId: string };
}

const stateOf = async (systemId: string) => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.system.state as string;
const historyTypes = async (systemId: string) =>
  ((await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.history as { type: string }[]).map((event) => event.type);
const incidentOf = async (systemId: string, incidentId: string) =>
  (await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'lead' })).body.incidents.find((incident: { id: string }) => incident.id === incidentId);
const assigneeIds = (task: { assignees: { principalId: string }[] }) => task.assignees.map((assignee) => assignee.principalId);

/** The owner acknowledges and contains the incident; resolution opens next. */
async function acknowledgeAndContain(systemId: string, suspendSystem: boolean) {
  const acknowledgement = await h.openTask(systemId, 'incident_acknowledgement');
  expect(assigneeIds(acknowledgement)).toEqual(['owner']);
  expect((await h.decide(acknowledgement.id, 'owner', 'acknowledge')).status).toBe(200);
  const contain = await h.openTask(systemId, 'incident_containment');
  expect((await h.decide(contain.id, 'owner', 'contain', { submission: containment(suspendSystem) })).status).toBe(200);
}

describe('incident escalation', () => {
  it('walks an incident through acknowledgement, containment with suspension, resolution and closure, refusing approvals while the system is suspended', async () => {
    const systemId = await activeSystem('Order assistant');
    // An approval waiting on the system, as a re-triage or a sign-off would be.
    const triage = await startStandaloneTriageTask(h, { systemId, subjectHash: 'a'.repeat(64), policy: triageOnlyPolicy, historyLimit: 1_000 });
    const { incidentId, workflowId } = await reportIncident(systemId, 'owner', sampleReport());
    expect(workflowId).toBe(workflowIds.incident(incidentId));

    await acknowledgeAndContain(systemId, true);
    await eventually(async () => ((await stateOf(systemId)) === 'suspended' ? true : undefined));
    const refused = await h.decide(triage.taskId, 'lead', 'accept');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'system_suspended', message: "the AI system is suspended: no 'accept' is given until it resumes" });

    const resolve = await h.openTask(systemId, 'incident_resolution');
    expect((await h.decide(resolve.id, 'owner', 'resolve', { submission: { rootCause: 'x' } })).status).toBe(400);
    expect((await h.decide(resolve.id, 'owner', 'resolve', { submission: resolution })).status).toBe(200);
    const closure = await h.openTask(systemId, 'incident_closure');
    expect(assigneeIds(closure)).toEqual(['lead']);
    // The reporting owner resolved it; they never approve its closure.
    expect((await h.decide(closure.id, 'owner', 'close')).status).toBe(403);
    expect((await h.decide(closure.id, 'lead', 'close', { comment: 'root cause fixed and tested' })).status).toBe(200);

    const outcome = await h.temporal.workflow.getHandle(workflowId).result();
    expect(outcome).toEqual({ incidentId, outcome: 'closed', suspended: true });
    expect(await stateOf(systemId)).toBe('active');
    expect((await h.decide(triage.taskId, 'lead', 'accept')).status).toBe(200);

    expect(await incidentOf(systemId, incidentId)).toMatchObject({
      stage: 'closed',
      severity: 'high',
      serious: false,
      reporterId: 'owner',
      containment: containment(true),
      suspendedSystem: true,
      resolution,
      outcome: 'closed',
      closedBy: 'lead',
      regulatoryReportDue: null,
    });
    const types = await historyTypes(systemId);
    const order = ['incident.reported', 'incident.acknowledged', 'incident.contained', 'incident.resolved', 'incident.closed'].map((type) =>
      types.indexOf(type),
    );
    expect(order.every((index, i) => index >= 0 && (i === 0 || index > order[i - 1]))).toBe(true);
    const { body: timeline } = await h.api('GET', `/api/v1/systems/${systemId}/timeline`, { as: 'lead' });
    const summaries = timeline.events.map((event: { summary: string }) => event.summary);
    expect(summaries).toContain('Moved from active to suspended: contained high incident ' + incidentId);
    expect(summaries).toContain(`Moved from suspended to active: incident ${incidentId} closed`);
    expect(summaries).toContain('Incident closed by lead; system resumed');
  });

  it('escalates a missed acknowledgement of a critical incident to an executive, then reopens it for the governance leads', async () => {
    h.usePolicy(
      withIncidentPolicy({
        slaBySeverity: { ...triageOnlyPolicy.incident.slaBySeverity, critical: { acknowledge: '2s', contain: '1h', resolve: '1h' } },
        ladderBySeverity: {
          ...triageOnlyPolicy.incident.ladderBySeverity,
          critical: [
            { action: 'add', target: 'executive', window: '2s' },
            { action: 'notify', target: 'manager', window: '2s' },
          ],
        },
      }),
    );
    try {
      const systemId = await activeSystem('Fraud scorer');
      const about = (m: { subject: string }) => m.subject === 'Escalated to you: Acknowledge an incident: Fraud scorer';
      await reportIncident(systemId, 'approver', sampleReport({ severity: 'critical' }));

      await h.mail.waitFor((m) => m.subject === 'Reminder: Acknowledge an incident: Fraud scorer' && m.to.includes(h.people.owner.email));
      await h.mail.waitFor((m) => about(m) && m.to.includes(h.people.executive.email));
      const escalated = await h.openTask(systemId, 'incident_acknowledgement', (task) => task.escalationLevel >= 1);
      expect(assigneeIds(escalated)).toEqual(['owner', 'executive']);
      await h.mail.waitFor((m) => m.subject === 'Overdue: Acknowledge an incident: Fraud scorer' && m.to.includes(h.people.ownerManager.email));

      // Nobody acknowledged before the ladder ran out: the stage goes to the governance leads, never dropped.
      const reopened = await h.openTask(systemId, 'incident_acknowledgement', (task) => task.id !== escalated.id);
      expect(assigneeIds(reopened)).toEqual(['lead']);
      const types = await historyTypes(systemId);
      expect(types).toContain('incident.stage_reopened');
      expect((await h.decide(reopened.id, 'lead', 'acknowledge')).status).toBe(200);
      const contain = await h.openTask(systemId, 'incident_containment');
      expect(assigneeIds(contain)).toEqual(['owner']);
    } finally {
      h.usePolicy(triageOnlyPolicy);
    }
  });

  it('runs the Art. 73 clock from becoming aware of the incident, by what it is: 15 days, 10 after a death, 2 when widespread', async () => {
    h.usePolicy(withIncidentPolicy({ seriousReportDeadlines: { general: '1h', death: '40m', widespreadOrCriticalInfrastructure: '10m' } }));
    const systemId = await activeSystem('Triage assistant');
    const awareAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const dueAfterAwareness = async (overrides: Record<string, unknown>) => {
      const report = sampleReport({ occurredAt: new Date(Date.now() - 3_600_000).toISOString(), becameAwareAt: awareAt, serious: true, ...overrides });
      const { incidentId } = await reportIncident(systemId, 'approver', report);
      const incident = await eventually(() => incidentOf(systemId, incidentId));
      expect(incident.becameAwareAt).toBe(awareAt);
      return (Date.parse(incident.regulatoryReportDue) - Date.parse(awareAt)) / 60_000;
    };

    expect(await dueAfterAwareness({ seriousness })).toBe(60);
    expect(await dueAfterAwareness({ seriousness: { ...seriousness, limbs: ['death_or_serious_harm_to_health'], death: true } })).toBe(40);
    expect(await dueAfterAwareness({ seriousness: { ...seriousness, widespreadInfringement: true } })).toBe(10);
    expect(await dueAfterAwareness({ seriousness: { ...seriousness, death: true, limbs: ['critical_infrastructure_disruption'] } })).toBe(10);

    const unexplained = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as: 'approver', body: sampleReport({ serious: true }) });
    expect(unexplained.status).toBe(400);
    expect(Object.keys(unexplained.body.fields)).toEqual(['seriousness']);
    const awareEarly = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      as: 'approver',
      body: sampleReport({ becameAwareAt: new Date(Date.now() - 7_200_000).toISOString() }),
    });
    expect(awareEarly.body.fields).toEqual({ becameAwareAt: ['one becomes aware of an incident after it occurred'] });
    expect(() =>
      h.preparePolicy(withIncidentPolicy({ seriousReportDeadlines: { general: '16d', death: '10d', widespreadOrCriticalInfrastructure: '2d' } })),
    ).toThrow(/never lengthen them/);
  });

  it('runs the regulatory clock of a serious incident with reminders, records the report date, and opens closure only once reported', async () => {
    h.usePolicy(withIncidentPolicy({ seriousReportDeadlines: { general: '4s', death: '4s', widespreadOrCriticalInfrastructure: '4s' } }));
    try {
      const systemId = await activeSystem('Credit limit model');
      const { incidentId, workflowId } = await reportIncident(systemId, 'approver', sampleReport({ severity: 'medium', serious: true, seriousness }));
      // Nobody holds legal_counsel here: the governance leads hold the report, and are reminded of it.
      const report = await h.openTask(systemId, 'incident_regulatory_report');
      expect(assigneeIds(report)).toEqual(['lead']);
      const incident = await incidentOf(systemId, incidentId);
      expect(Date.parse(incident.regulatoryReportDue) - Date.parse(incident.reportedAt)).toBeGreaterThan(3_000);
      await h.mail.waitFor(
        (m) => m.subject === 'Reminder: Report a serious incident to the authority: Credit limit model' && m.to.includes(h.people.lead.email),
      );

      await acknowledgeAndContain(systemId, false);
      await h.decide((await h.openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: resolution });
      await eventually(async () => ((await incidentOf(systemId, incidentId)).resolvedAt ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const { body: waiting } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
      expect(waiting.openTasks.map((task: { kind: string }) => task.kind)).toEqual(['incident_regulatory_report']);
      expect(await stateOf(systemId)).toBe('active');

      const reportedAt = new Date(Date.now() - 60_000).toISOString();
      const submission = { authority: 'Market surveillance authority', reference: 'MSA-2025-0042', reportedAt };
      expect((await h.decide(report.id, 'lead', 'report', { submission: { authority: 'MSA' } })).status).toBe(400);
      expect((await h.decide(report.id, 'lead', 'report', { submission })).status).toBe(200);
      const closure = await h.openTask(systemId, 'incident_closure');
      expect((await h.decide(closure.id, 'lead', 'close')).status).toBe(200);
      expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({ incidentId, outcome: 'closed', suspended: false });

      const closed = await incidentOf(systemId, incidentId);
      expect(closed).toMatchObject({ stage: 'closed', serious: true, regulatoryReport: submission, suspendedSystem: false });
      expect(Date.parse(closed.regulatoryReportedAt)).toBe(Date.parse(reportedAt));
      const types = await historyTypes(systemId);
      expect(types.indexOf('incident.reported_to_authority')).toBeLessThan(types.indexOf('incident.closed'));
      expect(types.filter((type) => type === 'task.reminded').length).toBeGreaterThanOrEqual(1);
    } finally {
      h.usePolicy(triageOnlyPolicy);
    }
  });

  it('decides at a later stage that an incident is serious, starting its report on the clock of its kind; a causal link makes it due at once', async () => {
    h.usePolicy(
      withIncidentPolicy({
        seriousReportDeadlines: { general: '1h', death: '40m', widespreadOrCriticalInfrastructure: '10m', onceCausalLinkEstablished: '5m' },
      }),
    );
    try {
      const systemId = await activeSystem('Symptom checker');
      const awareAt = new Date(Date.now() - 600_000).toISOString();
      const { incidentId, workflowId } = await reportIncident(systemId, 'approver', sampleReport({ becameAwareAt: awareAt }));
      await acknowledgeAndContain(systemId, false);
      const path = `/api/v1/systems/${systemId}/incidents/${incidentId}/seriousness`;
      const death = { limbs: ['death_or_serious_harm_to_health'], death: true, rationale: 'A patient followed the advice and died' };
      expect((await h.api('POST', path, { as: 'owner', body: death })).status).toBe(403);
      expect((await h.api('POST', `/api/v1/systems/${systemId}/incidents/${randomUUID()}/seriousness`, { as: 'lead', body: death })).status).toBe(404);
      const unexplained = await h.api('POST', path, { as: 'lead', body: { ...death, limbs: [] } });
      expect(unexplained.status).toBe(400);
      expect(Object.keys(unexplained.body.fields)).toEqual(['limbs']);

      const assessed = await h.api('POST', path, { as: 'lead', body: death });
      expect(assessed.status).toBe(200);
      // Art. 73(4): ten days after a death, here 40 minutes, from becoming aware of it.
      expect(Date.parse(assessed.body.regulatoryReportDue) - Date.parse(awareAt)).toBe(40 * 60_000);
      const report = await h.openTask(systemId, 'incident_regulatory_report');
      expect(Math.abs(Date.parse(report.dueAt) - Date.parse(assessed.body.regulatoryReportDue))).toBeLessThan(5_000);
      const again = await h.api('POST', path, { as: 'lead', body: death });
      expect(again).toMatchObject({ status: 409, body: { error: 'already_serious' } });

      const causalLinkEstablishedAt = new Date(Date.now() - 60_000).toISOString();
      const linked = await h.api('POST', path, { as: 'lead', body: { ...death, causalLinkEstablishedAt } });
      expect(linked.status).toBe(200);
      expect(Date.parse(linked.body.regulatoryReportDue)).toBe(Date.parse(causalLinkEstablishedAt) + 5 * 60_000);
      expect(await incidentOf(systemId, incidentId)).toMatchObject({
        serious: true,
        seriousness: { death: true, causalLinkEstablishedAt },
        regulatoryReportDue: linked.body.regulatoryReportDue,
      });
      expect((await historyTypes(systemId)).filter((type) => type === 'incident.seriousness_assessed')).toHaveLength(2);

      // The closure waits for the report, which was not there when the owner resolved the incident.
      await h.decide((await h.openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: resolution });
      await eventually(async () => ((await incidentOf(systemId, incidentId)).resolvedAt ? true : undefined));
      const submission = { authority: 'Market surveillance authority', reference: 'MSA-2026-0007', reportedAt: new Date().toISOString() };
      expect((await h.decide(report.id, 'lead', 'report', { submission })).status).toBe(200);
      const closure = await h.openTask(systemId, 'incident_closure');
      const reportTask = (await h.api('GET', `/api/v1/tasks/${report.id}`, { as: 'lead' })).body.task;
      expect(Date.parse(closure.openedAt)).toBeGreaterThanOrEqual(Date.parse(reportTask.closedAt));
      const closing = await h.api('POST', path, { as: 'lead', body: { ...death, causalLinkEstablishedAt } });
      expect(closing).toMatchObject({ status: 409, body: { error: 'task_closed' } });
      expect((await h.decide(closure.id, 'lead', 'close')).status).toBe(200);
      expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({ incidentId, outcome: 'closed', suspended: false });
      expect(await incidentOf(systemId, incidentId)).toMatchObject({ stage: 'closed', regulatoryReport: submission });
    } finally {
      h.usePolicy(triageOnlyPolicy);
    }
  });

  it('sends the resolution back on changes requested at closure, and starts a re-assessment on close_and_reassess', async () => {
    const systemId = await activeSystem('Support chatbot');
    const { incidentId, workflowId } = await reportIncident(systemId, 'auditor', sampleReport({ severity: 'low' }));
    await acknowledgeAndContain(systemId, false);
    const first = await h.openTask(systemId, 'incident_resolution');
    await h.decide(first.id, 'owner', 'resolve', { submission: { rootCause: 'Unknown', actions: 'Restarted it' } });
    const firstClosure = await h.openTask(systemId, 'incident_closure');
    expect(firstClosure.subjectVersion).toBe(1);
    expect((await h.decide(firstClosure.id, 'lead', 'request_changes', { comment: 'find the root cause' })).status).toBe(200);

    const second = await h.openTask(systemId, 'incident_resolution', (task) => task.id !== first.id);
    expect((await incidentOf(systemId, incidentId)).stage).toBe('resolution');
    await h.decide(second.id, 'owner', 'resolve', { submission: resolution });
    const secondClosure = await h.openTask(systemId, 'incident_closure', (task) => task.subjectVersion === 2);
    expect((await h.decide(secondClosure.id, 'lead', 'close_and_reassess')).status).toBe(200);

    expect(await h.temporal.workflow.getHandle(workflowId).result()).toEqual({ incidentId, outcome: 'closed_reassessing', suspended: false });
    const review = await h.temporal.workflow.getHandle(workflowIds.review(systemId, `incident-${incidentId}`)).describe();
    expect(review.type).toBe('periodicReviewWorkflow');
    // The review goes straight to a re-assessment (this policy needs no documents for it) and back into service.
    const reassessment = await eventually(async () => {
      const { rows } = await h.pool.query(
        `SELECT data FROM audit_events WHERE system_id = $1 AND type = 'system.state_changed' AND data->>'to' = 'assessment' AND data->>'reason' LIKE 're-assessment:%'`,
        [systemId],
      );
      return rows[0]?.data;
    });
    expect(reassessment.reason).toBe('re-assessment: an incident closed with a re-assessment');
    await eventually(async () => ((await stateOf(systemId)) === 'active' ? true : undefined));
    expect(await incidentOf(systemId, incidentId)).toMatchObject({ stage: 'closed', outcome: 'closed_reassessing', resolution, reporterId: 'auditor' });
    const types = await historyTypes(systemId);
    expect(types.filter((type) => type === 'incident.resolved')).toHaveLength(2);
    expect(types).toContain('incident.closure_changes_requested');
  });

  it('answers 400, 404 and 409 at the API, replays a report sent again with its Idempotency-Key, and lists incidents only to those who may see the system', async () => {
    const systemId = await activeSystem('Invoice reader');
    const invalid = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      body: { severity: 'catastrophic', occurredAt: new Date(Date.now() + 86_400_000).toISOString(), extra: true },
    });
    expect(invalid.status).toBe(400);
    expect(Object.keys(invalid.body.fields).sort()).toEqual(['description', 'extra', 'occurredAt', 'severity']);
    expect(invalid.body.fields.occurredAt).toEqual(['an incident cannot occur in the future']);

    expect((await h.api('POST', `/api/v1/systems/${randomUUID()}/incidents`, { body: sampleReport() })).status).toBe(404);
    expect((await h.api('POST', '/api/v1/systems/not-a-uuid/incidents', { body: sampleReport() })).status).toBe(404);
    expect((await h.api('GET', `/api/v1/systems/${randomUUID()}/incidents`)).status).toBe(404);

    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Rejected model' }) });
    await h.decide((await h.openTask(filed.body.systemId, 'intake_triage')).id, 'lead', 'reject');
    await h.temporal.workflow.getHandle(workflowIds.intake(filed.body.systemId)).result();
    const refused = await h.api('POST', `/api/v1/systems/${filed.body.systemId}/incidents`, { body: sampleReport() });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain("state 'rejected'");

    const report = sampleReport({ severity: 'low' });
    const headers = { 'Idempotency-Key': 'incident-report-0001' };
    const first = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as: 'approver', body: report, headers });
    const again = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as: 'approver', body: report, headers });
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.body.incidentId).toBe(first.body.incidentId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const reused = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as: 'approver', body: { ...report, severity: 'high' }, headers });
    expect(reused.status).toBe(409);

    const listed = await eventually(async () => {
      const { body } = await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'owner' });
      return body.incidents?.length === 1 ? body : undefined;
    });
    expect(listed.incidents[0]).toMatchObject({ id: first.body.incidentId, reporterId: 'approver', severity: 'low', stage: 'acknowledgement' });
    // Reporting gives no sight of the system: only its owner, task holders and oversight roles list its incidents.
    expect((await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'approver' })).status).toBe(403);
    expect((await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'auditor' })).status).toBe(200);
  });

  it('takes an incident report from the web form, with the field messages next to the fields', async () => {
    const systemId = await activeSystem('Shelf camera');
    const cookie = `aims_session=${await createWebSession(h.pool, 'approver', 60_000)}`;
    const formUrl = `${h.baseUrl}/systems/${systemId}/incidents/new`;
    const form = await (await fetch(formUrl, { headers: { cookie } })).text();
    // The approver may report on the system, but not see it: the form names it by its id alone.
    expect(form).toContain(`Reporting an incident of the AI system <code>${systemId}</code>`);
    expect(form).not.toContain('Shelf camera');
    const hidden = Object.fromEntries([...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2]]));
    const post = (fields: Record<string, string>) =>
      fetch(formUrl, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ ...hidden, ...fields }),
      });

    const invalid = await post({ description: '', occurredAt: '2999-01-01T00:00' });
    expect(invalid.status).toBe(400);
    const page = await invalid.text();
    expect(page).toContain('id="severity-error"');
    expect(page).toContain('an incident cannot occur in the future');

    const unexplained = await post({
      severity: 'medium',
      description: 'The camera counted people, not shelves',
      occurredAt: '2025-01-01T08:30',
      serious: 'true',
    });
    expect(unexplained.status).toBe(400);
    expect(await unexplained.text()).toContain(
      '<p class="field-error" id="seriousness-error">name the limb of Art. 3(49) the incident meets; must not be empty</p>',
    );

    const seriousReport = {
      severity: 'medium',
      description: 'The camera counted people, not shelves',
      occurredAt: '2025-01-01T08:30',
      becameAwareAt: '2025-01-02T09:00',
      serious: 'true',
      seriousLimbs: 'fundamental_rights_infringement',
      seriousRationale: 'shoppers were profiled',
    };
    const reported = await post(seriousReport);
    expect(reported.status).toBe(200);
    expect(await reported.text()).toContain('Incident reported');
    const incident = await eventually(async () => (await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'lead' })).body.incidents[0]);
    expect(incident).toMatchObject({
      reporterId: 'approver',
      severity: 'medium',
      serious: true,
      occurredAt: '2025-01-01T08:30:00.000Z',
      becameAwareAt: '2025-01-02T09:00:00.000Z',
      seriousness: { limbs: ['fundamental_rights_infringement'], death: false, widespreadInfringement: false, rationale: 'shoppers were profiled' },
    });
    // Sent twice, the same form reports one incident.
    expect((await post(seriousReport)).status).toBe(200);
    expect((await h.api('GET', `/api/v1/systems/${systemId}/incidents`, { as: 'lead' })).body.incidents).toHaveLength(1);
  });

  it('tells one who may not see a system nothing of it: out of service or unknown, the answer is the same', async () => {
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Rejected at triage' }) });
    const rejectedId = filed.body.systemId as string;
    await h.decide((await h.openTask(rejectedId, 'intake_triage')).id, 'lead', 'reject');
    await h.temporal.workflow.getHandle(workflowIds.intake(rejectedId)).result();
    const report = { severity: 'low', description: 'probing', occurredAt: new Date().toISOString() };
    const [outOfService, unknown] = [
      await h.api('POST', `/api/v1/systems/${rejectedId}/incidents`, { as: 'approver', body: report }),
      await h.api('POST', `/api/v1/systems/${randomUUID()}/incidents`, { as: 'approver', body: report }),
    ];
    expect(outOfService.status).toBe(404);
    expect({ ...outOfService.body, errorId: undefined }).toEqual({ ...unknown.body, errorId: undefined });
    // Its owner, who may see it, is told why.
    const byOwner = await h.api('POST', `/api/v1/systems/${rejectedId}/incidents`, { as: 'owner', body: report });
    expect(byOwner.status).toBe(409);
    const cookie = `aims_session=${await createWebSession(h.pool, 'approver', 60_000)}`;
    expect((await fetch(`${h.baseUrl}/systems/${rejectedId}/incidents/new`, { headers: { cookie } })).status).toBe(404);
  });
});
