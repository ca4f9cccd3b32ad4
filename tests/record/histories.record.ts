import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparePolicy } from '../../api/policy';
import type { AiActAnswersInput } from '../../domain/aiAct';
import { ensureAuditCheckpointSchedule, ensureDigestSchedule } from '../../worker/schedules';
import { scheduleIds } from '../../workflows/contracts';
import { eventually, sampleIntake, startHarness, startStandaloneTriageTask, submitActionForm, type Harness } from '../helpers/harness';
import { sampleAssessment, sampleRiskRegister } from '../helpers/samples';
import { calmPolicy, hastyTriagePolicy, noAssessmentPolicy, reviewPolicy, triageOnlyPolicy, withTriage } from '../helpers/policies';

/**
 * `npm run record-histories`: runs real scenarios and adds their histories for tests/replay.test.ts.
 * Histories are only ever added, each file named by the day it was recorded and never overwritten: the
 * histories of the code that ran before must keep replaying against the code that runs now.
 */
const historiesDir = path.join(__dirname, '../histories');
const recordedOn = new Date().toISOString().slice(0, 10);

describe('recording workflow histories', () => {
  let h: Harness;
  beforeAll(async () => {
    // Recorded clear: the replay test runs the histories without any key.
    h = await startHarness({ encryptPayloads: false });
  });
  afterAll(() => h?.stop());

  async function record(scenario: string, systemId: string, query = `AimsSystemId = "${systemId}"`) {
    for await (const execution of h.temporal.workflow.list({ query })) {
      const handle = h.temporal.workflow.getHandle(execution.workflowId, execution.runId);
      // A watch that sleeps until a far date is recorded as far as it got.
      await Promise.race([handle.result().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      const history = JSON.parse(historyToJSON(await handle.fetchHistory()));
      const file = `${recordedOn}--${scenario}--${execution.type}--${execution.workflowId.slice(0, 15)}-${execution.runId.slice(-6)}.json`;
      const recording = JSON.stringify({ workflowId: execution.workflowId, workflowType: execution.type, history }, null, 1);
      await writeFile(path.join(historiesDir, file), recording, { flag: 'wx' });
    }
  }

  const file = async (name: string, overrides = {}) =>
    (await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name, ...overrides }) })).body.systemId as string;
  const stateIs = (systemId: string, state: string) =>
    eventually(async () => ((await h.api('GET', `/api/v1/systems/${systemId}`)).body.system?.state === state ? true : undefined), 60_000);
  const openTask = (systemId: string, kind: string) =>
    eventually(async () => (await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' })).body.openTasks?.find((t: { kind: string }) => t.kind === kind));

  it('records a triage with reminder, escalation, changes requested, amendment and acceptance', async () => {
    h.usePolicy({
      ...hastyTriagePolicy,
      assessment: triageOnlyPolicy.assessment,
      riskTreatment: triageOnlyPolicy.riskTreatment,
      tasks: {
        ...hastyTriagePolicy.tasks,
        intake_triage: { ...hastyTriagePolicy.tasks.intake_triage, steps: [{ role: 'governance_lead' }, { role: 'executive' }] },
      },
    });
    const systemId = await file('Recorded escalation');
    const escalated = await h.mail.waitFor((m) => m.subject === 'Escalated to you: Triage an AI system intake: Recorded escalation', 30_000);
    await submitActionForm(escalated.links[0], { choice: 'request_changes' });
    const revision = await openTask(systemId, 'intake_revision');
    await h.decide(revision.id, 'owner', 'submit', { submission: sampleIntake({ name: 'Recorded escalation', dataCategories: ['personal'] }) });
    const triage = await eventually(async () => {
      const task = await openTask(systemId, 'intake_triage');
      return task.subjectVersion === 2 ? task : undefined;
    });
    const amended = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, {
      body: sampleIntake({ name: 'Recorded escalation', dataCategories: ['personal', 'special_category'] }),
    });
    expect(amended.status).toBe(200);
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${triage.id}`, { as: 'lead' })).body.task.subjectVersion === 3 ? true : undefined));
    await h.decide(triage.id, 'lead', 'accept');
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${triage.id}`, { as: 'lead' })).body.task.currentStep === 1 ? true : undefined));
    await h.decide(triage.id, 'executive', 'accept');
    await stateIs(systemId, 'active');
    await record('escalated-revised-amended-accepted', systemId);
  });

  it('records a withdrawal and a delegated rejection', async () => {
    h.usePolicy(withTriage({ delegateRoles: ['approver'] }));
    const withdrawn = await file('Recorded withdrawal');
    const task = await openTask(withdrawn, 'intake_triage');
    await h.api('POST', `/api/v1/tasks/${task.id}/withdraw`, { body: { reason: 'no longer needed' } });
    await stateIs(withdrawn, 'withdrawn');
    await record('withdrawn', withdrawn);

    const delegated = await file('Recorded delegation');
    const delegatedTask = await openTask(delegated, 'intake_triage');
    await h.api('POST', `/api/v1/tasks/${delegatedTask.id}/delegate`, { as: 'lead', body: { to: 'approver' } });
    await eventually(async () =>
      (await h.api('GET', `/api/v1/tasks/${delegatedTask.id}`, { as: 'lead' })).body.task.assignees[0].principalId === 'approver' ? true : undefined,
    );
    await h.decide(delegatedTask.id, 'approver', 'reject');
    await stateIs(delegated, 'rejected');
    await record('delegated-rejected', delegated);
  });

  it('records a withdrawal while the impact assessment is open, which cancels the assessment', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await file('Recorded withdrawal in assessment');
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    await openTask(systemId, 'impact_assessment');
    await h.api('POST', `/api/v1/systems/${systemId}/withdraw`, { body: { reason: 'the pilot ended' } });
    await stateIs(systemId, 'withdrawn');
    await record('withdrawn-in-assessment', systemId);
  });

  it('records a quorum task that continues as new while its seats are reassigned', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await file('Recorded continue-as-new');
    const { id: triageId, subjectHash } = await openTask(systemId, 'intake_triage');
    const { taskId, handle } = await startStandaloneTriageTask(h, {
      systemId,
      subjectHash,
      policy: withTriage({ steps: [{ role: 'approver', rule: { type: 'quorum', count: 2 } }] }),
      historyLimit: 30,
    });
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${taskId}`, { as: 'lead' })).body.task?.assignees.length === 3 ? true : undefined));
    await h.decide(taskId, 'approver', 'accept');
    let seat = 'ownerManager' as 'ownerManager' | 'executive';
    while ((await handle.describe()).runId === handle.firstExecutionRunId) {
      const to: typeof seat = seat === 'ownerManager' ? 'executive' : 'ownerManager';
      const moved = await h.api('POST', `/api/v1/tasks/${taskId}/reassign`, { as: 'lead', body: { from: seat, to, reason: 'grow the history' } });
      expect(moved.body).toMatchObject({ taskId });
      seat = to;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await h.decide(taskId, seat, 'accept');
    expect(await handle.result()).toMatchObject({ status: 'decided', choice: 'accept' });
    await h.decide(triageId, 'lead', 'accept');
    await stateIs(systemId, 'active');
    await record('quorum-continued-as-new', systemId);
  });

  it('records onboarding: an impact assessment sent back once then approved, and a risk treatment plan signed off', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await file('Recorded assessment', { useCategory: 'customer_service' });
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    await h.decide((await openTask(systemId, 'impact_assessment')).id, 'owner', 'submit', { submission: sampleAssessment() });
    const reviewsOf = (version: number) =>
      eventually(async () => {
        const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
        const reviews = body.openTasks?.filter((task: any) => task.kind === 'impact_review' && task.subjectVersion === version);
        return reviews?.length === 2 ? reviews : undefined;
      });
    const by = (reviews: any[], who: string) => reviews.find((task) => task.assignees[0].principalId === who).id;
    const first = await reviewsOf(1);
    await h.decide(by(first, 'privacy'), 'privacy', 'request_changes');
    await h.decide(by(first, 'risk'), 'risk', 'approve');
    const resubmission = await eventually(async () => {
      const task = await openTask(systemId, 'impact_assessment');
      return task?.subjectVersion === 1 ? task : undefined;
    });
    await h.decide(resubmission.id, 'owner', 'submit', { submission: sampleAssessment({ measures: ['hand-over button', 'messages deleted after 30 days'] }) });
    const second = await reviewsOf(2);
    for (const who of ['privacy', 'risk']) await h.decide(by(second, who), who as 'privacy' | 'risk', 'approve');
    await h.decide((await openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: sampleRiskRegister('high') });
    const signoff = await openTask(systemId, 'risk_signoff');
    await h.decide(signoff.id, 'risk', 'approve');
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${signoff.id}`, { as: 'lead' })).body.task.currentStep === 1 ? true : undefined));
    await h.decide(signoff.id, 'executive', 'approve');
    await stateIs(systemId, 'active');
    await record('onboarding-assessed-signed-off', systemId);
  });

  it('records a whole life: re-acceptance, a review, a serious incident that suspends and re-assesses, retirement; and a digest', async () => {
    h.usePolicy({ ...noAssessmentPolicy, riskTreatment: { ...noAssessmentPolicy.riskTreatment, reacceptanceNotice: '2s', reacceptanceTerm: '1h' } });
    const systemId = await file('Recorded life');
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    const register = sampleRiskRegister('low');
    register.risks[1].acceptanceExpiresAt = new Date(Date.now() + 4_000).toISOString();
    await h.decide((await openTask(systemId, 'risk_treatment_plan')).id, 'owner', 'submit', { submission: register });
    await h.decide((await openTask(systemId, 'risk_signoff')).id, 'risk', 'approve');
    await stateIs(systemId, 'active');
    await h.decide((await openTask(systemId, 'risk_reacceptance')).id, 'risk', 'reaccept');

    expect((await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} })).status).toBe(202);
    await h.decide((await openTask(systemId, 'review_attestation')).id, 'owner', 'submit', { submission: { status: 'unchanged' } });
    await stateIs(systemId, 'active');

    const incident = {
      severity: 'medium',
      description: 'Answers leaked another customer’s order',
      occurredAt: new Date().toISOString(),
      serious: true,
      seriousness: { limbs: ['fundamental_rights_infringement'], rationale: 'another customer’s order was shown' },
    };
    expect((await h.api('POST', `/api/v1/systems/${systemId}/incidents`, { as: 'approver', body: incident })).status).toBe(202);
    await h.decide((await openTask(systemId, 'incident_acknowledgement')).id, 'owner', 'acknowledge');
    await h.decide((await openTask(systemId, 'incident_regulatory_report')).id, 'lead', 'report', {
      submission: { authority: 'Market surveillance authority', reference: 'MSA-1', reportedAt: new Date().toISOString() },
    });
    await h.decide((await openTask(systemId, 'incident_containment')).id, 'owner', 'contain', { submission: { actions: 'switched off', suspendSystem: true } });
    await stateIs(systemId, 'suspended');
    await h.decide((await openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: { rootCause: 'cache key', actions: 'fixed' } });
    await h.decide((await openTask(systemId, 'incident_closure')).id, 'lead', 'close_and_reassess');
    const replan = await eventually(async () => {
      const task = await openTask(systemId, 'risk_treatment_plan');
      return task?.subjectVersion === 0 ? task : undefined;
    });
    await h.decide(replan.id, 'owner', 'submit', { submission: sampleRiskRegister('low') });
    await h.decide((await openTask(systemId, 'risk_signoff')).id, 'risk', 'approve');
    await stateIs(systemId, 'active');

    const retirement = { reason: 'replaced', retireOn: new Date().toISOString().slice(0, 10) };
    expect((await h.api('POST', `/api/v1/systems/${systemId}/retirement`, { body: retirement })).status).toBe(202);
    await h.decide((await openTask(systemId, 'retirement_approval')).id, 'lead', 'approve');
    await stateIs(systemId, 'retiring');
    const items = {
      retirement_data_disposal: 'privacy',
      retirement_access_revocation: 'lead',
      retirement_user_notice: 'owner',
      retirement_archive: 'lead',
    } as const;
    for (const [kind, who] of Object.entries(items))
      await h.decide((await openTask(systemId, kind)).id, who, 'done', { submission: { evidence: `${kind} done` } });
    await h.decide((await openTask(systemId, 'retirement_signoff')).id, 'lead', 'approve');
    await stateIs(systemId, 'retired');
    await record('whole-life', systemId);

    const digest = await ensureDigestSchedule(h.temporal, h.taskQueue, preparePolicy(noAssessmentPolicy), `governance-digest-${h.taskQueue}`);
    await digest.trigger();
    await h.mail.waitFor((m) => m.subject.startsWith('Governance digest'));
    await record('digest', systemId, `WorkflowType = 'governanceDigestWorkflow' AND TaskQueue = '${h.taskQueue}'`);
    await digest.delete();
  });

  it('records a run of the audit checkpoint schedule', async () => {
    await file('Recorded checkpoint');
    await eventually(async () => ((await h.pool.query('SELECT 1 FROM audit_events')).rowCount ? true : undefined));
    const schedule = await ensureAuditCheckpointSchedule(h.temporal, h.taskQueue, 3_600_000, `audit-checkpoint-${h.taskQueue}`);
    await schedule.trigger();
    await eventually(async () => ((await h.pool.query('SELECT 1 FROM audit_checkpoints')).rowCount ? true : undefined));
    await record('audit-checkpoint', '', `WorkflowType = 'auditCheckpointWorkflow' AND TaskQueue = '${h.taskQueue}'`);
    await schedule.delete();
  });

  it('records a review its schedule started, under the policy in force', async () => {
    h.usePolicy(reviewPolicy('3s'));
    const systemId = await file('Recorded scheduled review');
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    await h.decide((await openTask(systemId, 'review_attestation')).id, 'owner', 'submit', { submission: { status: 'unchanged' } });
    await eventually(async () =>
      (await h.pool.query(`SELECT 1 FROM reviews WHERE system_id = $1 AND status = 'unchanged'`, [systemId])).rowCount === 1 ? true : undefined,
    );
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).delete();
    await record('scheduled-review', systemId, `AimsSystemId = "${systemId}" AND ExecutionStatus != 'Running'`);
  });

  it('records the schedule sync a re-tiering starts', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await file('Recorded re-tiering');
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept');
    await stateIs(systemId, 'active');
    const retiered = await h.api('PUT', `/api/v1/systems/${systemId}/tier`, { as: 'lead', body: { tier: 'high', reason: 'recorded re-tiering' } });
    expect(retiered.status).toBe(200);
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).delete();
    await record('retiering', systemId, `WorkflowType = 'reviewScheduleSyncWorkflow' AND TaskQueue = '${h.taskQueue}'`);
  });

  it('records an intake classified under the EU AI Act, its tier raised to the high-risk floor, then amended to a prohibited practice', async () => {
    h.usePolicy(triageOnlyPolicy);
    const euAiAct = { roles: ['deployer'], euNexus: ['deployer_in_eu'], annexIII: ['4a'] } satisfies AiActAnswersInput;
    const systemId = await file('Recorded classification', { useCategory: 'analytics', impactAreas: [], dataCategories: [], euAiAct });
    const triage = await openTask(systemId, 'intake_triage');
    const amended = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, {
      body: sampleIntake({
        name: 'Recorded classification',
        useCategory: 'analytics',
        impactAreas: [],
        dataCategories: [],
        euAiAct: { ...euAiAct, biometrics: { emotionRecognition: 'workplace' } },
      }),
    });
    expect(amended.body).toMatchObject({ intakeVersion: 2, tier: 'prohibited' });
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${triage.id}`, { as: 'lead' })).body.task.subjectVersion === 2 ? true : undefined));
    await h.decide(triage.id, 'lead', 'accept');
    await stateIs(systemId, 'rejected');
    await record('ai-act-classified', systemId);
  });

  it('records a triage whose lead overrode the prohibited classification with a reason', async () => {
    h.usePolicy(triageOnlyPolicy);
    const euAiAct = { roles: ['deployer'], euNexus: ['deployer_in_eu'], biometrics: { emotionRecognition: 'workplace' } } satisfies AiActAnswersInput;
    const systemId = await file('Recorded triage override', { useCategory: 'analytics', impactAreas: [], dataCategories: [], euAiAct });
    const classification = { verdict: 'overridden', tier: 'high', reason: 'recorded override: the safety exception applies' };
    await h.decide((await openTask(systemId, 'intake_triage')).id, 'lead', 'accept', { submission: { classification } });
    await stateIs(systemId, 'active');
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).delete();
    await record('triage-overridden', systemId);
  });

  it('records reviews whose changed attestation revised the intake: its tier raised, then a prohibited practice', async () => {
    h.usePolicy(triageOnlyPolicy);
    const name = 'Recorded reclassified review';
    const systemId = await h.fileAcceptedSystem(name);
    const reviewWith = async (euAiAct: Partial<AiActAnswersInput>, outcome: string) => {
      const intake = sampleIntake({ name, euAiAct: { roles: ['deployer'], euNexus: ['deployer_in_eu'], ...euAiAct } });
      const asked = await h.api('POST', `/api/v1/systems/${systemId}/reviews`, { as: 'lead', body: {} });
      const attestation = await openTask(systemId, 'review_attestation');
      await h.decide(attestation.id, 'owner', 'submit', { submission: { status: 'changed', changes: 'recorded change', intake } });
      expect(await h.temporal.workflow.getHandle(asked.body.workflowId).result()).toMatchObject({ outcome });
    };
    await reviewWith({ annexIII: ['4a'] }, 'reassessed');
    await reviewWith({ biometrics: { emotionRecognition: 'workplace' } }, 'prohibited');
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).delete();
    await record('review-reclassified', systemId, `AimsSystemId = "${systemId}" AND WorkflowType = 'periodicReviewWorkflow'`);
  });

  it('records an incident found serious after its report, with a causal link established, reported and closed', async () => {
    h.usePolicy(triageOnlyPolicy);
    const systemId = await h.fileAcceptedSystem('Recorded later seriousness');
    const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      as: 'approver',
      body: { severity: 'high', description: 'Advice was followed and a patient was harmed', occurredAt: new Date(Date.now() - 600_000).toISOString() },
    });
    const path = `/api/v1/systems/${systemId}/incidents/${reported.body.incidentId}/seriousness`;
    const seriousness = { limbs: ['death_or_serious_harm_to_health'], rationale: 'a patient was seriously harmed' };
    expect((await h.api('POST', path, { as: 'lead', body: seriousness })).status).toBe(200);
    const causalLinkEstablishedAt = new Date().toISOString();
    expect((await h.api('POST', path, { as: 'lead', body: { ...seriousness, causalLinkEstablishedAt } })).status).toBe(200);
    await h.decide((await openTask(systemId, 'incident_acknowledgement')).id, 'owner', 'acknowledge');
    await h.decide((await openTask(systemId, 'incident_containment')).id, 'owner', 'contain', { submission: { actions: 'recorded', suspendSystem: false } });
    await h.decide((await openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: { rootCause: 'recorded', actions: 'recorded' } });
    const submission = { authority: 'Recorded authority', reference: 'REC-2', reportedAt: new Date().toISOString() };
    await h.decide((await openTask(systemId, 'incident_regulatory_report')).id, 'lead', 'report', { submission });
    await h.decide((await openTask(systemId, 'incident_closure')).id, 'lead', 'close');
    await h.temporal.workflow.getHandle(reported.body.workflowId).result();
    await h.temporal.schedule.getHandle(scheduleIds.review(systemId)).delete();
    await record('incident-serious-later', systemId, `AimsSystemId = "${systemId}" AND WorkflowType = 'incidentWorkflow'`);
  });

  it('records a serious incident on the Art. 73 clock from becoming aware of it, reported and closed', async () => {
    h.usePolicy({
      ...triageOnlyPolicy,
      incident: { ...triageOnlyPolicy.incident, seriousReportDeadlines: { general: '1h', death: '40m', widespreadOrCriticalInfrastructure: '10m' } },
    });
    const systemId = await h.fileAcceptedSystem('Recorded serious incident');
    const reported = await h.api('POST', `/api/v1/systems/${systemId}/incidents`, {
      as: 'approver',
      body: {
        severity: 'high',
        description: 'Dosage advice was wrong for a patient',
        occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
        becameAwareAt: new Date(Date.now() - 600_000).toISOString(),
        serious: true,
        seriousness: { limbs: ['death_or_serious_harm_to_health'], death: true, rationale: 'a patient died' },
      },
    });
    expect(reported.status).toBe(202);
    await h.decide((await openTask(systemId, 'incident_acknowledgement')).id, 'owner', 'acknowledge');
    await h.decide((await openTask(systemId, 'incident_containment')).id, 'owner', 'contain', {
      submission: { actions: 'advice switched off', suspendSystem: false },
    });
    await h.decide((await openTask(systemId, 'incident_resolution')).id, 'owner', 'resolve', { submission: { rootCause: 'a unit mix-up', actions: 'fixed' } });
    await h.decide((await openTask(systemId, 'incident_regulatory_report')).id, 'lead', 'report', {
      submission: { authority: 'Market surveillance authority', reference: 'MSA-1', reportedAt: new Date().toISOString() },
    });
    await h.decide((await openTask(systemId, 'incident_closure')).id, 'lead', 'close');
    await h.temporal.workflow.getHandle(reported.body.workflowId).result();
    await record(
      'art-73-clock',
      systemId,
      `WorkflowId = '${reported.body.workflowId}' OR (WorkflowType = 'humanTaskWorkflow' AND AimsSystemId = "${systemId}" AND StartTime > '${new Date(Date.now() - 120_000).toISOString()}')`,
    );
  });
});
