import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, startStandaloneTriageTask, submitActionForm, type Harness } from '../helpers/harness';
import { sampleAssessment, sampleRiskRegister } from '../helpers/assessments';
import { calmPolicy, hastyTriagePolicy, triageOnlyPolicy, withTriage } from '../helpers/policies';

/** `npm run record-histories`: runs real scenarios and writes their histories for tests/replay.test.ts. */
const historiesDir = path.join(__dirname, '../histories');

describe('recording workflow histories', () => {
  let h: Harness;
  beforeAll(async () => {
    for (const file of await readdir(historiesDir)) if (file.endsWith('.json')) await rm(path.join(historiesDir, file));
    h = await startHarness();
  });
  afterAll(() => h?.stop());

  async function record(scenario: string, systemId: string) {
    for await (const execution of h.temporal.workflow.list({ query: `AimsSystemId = "${systemId}"` })) {
      const handle = h.temporal.workflow.getHandle(execution.workflowId, execution.runId);
      await handle.result().catch(() => undefined);
      const history = JSON.parse(historyToJSON(await handle.fetchHistory()));
      const file = `${scenario}--${execution.type}--${execution.workflowId.slice(0, 15)}-${execution.runId.slice(-6)}.json`;
      await writeFile(path.join(historiesDir, file), JSON.stringify({ workflowId: execution.workflowId, workflowType: execution.type, history }, null, 1));
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
      tasks: { ...hastyTriagePolicy.tasks, intake_triage: { ...hastyTriagePolicy.tasks.intake_triage, steps: [{ role: 'governance_lead' }, { role: 'executive' }] } },
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
    const amended = await h.api('PUT', `/api/v1/systems/${systemId}/intake`, { body: sampleIntake({ name: 'Recorded escalation', dataCategories: ['personal', 'special_category'] }) });
    expect(amended.status).toBe(200);
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${triage.id}`, { as: 'lead' })).body.task.subjectVersion === 3 ? true : undefined));
    await h.decide(triage.id, 'lead', 'accept');
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${triage.id}`, { as: 'lead' })).body.task.currentStep === 1 ? true : undefined));
    await h.decide(triage.id, 'executive', 'accept');
    await stateIs(systemId, 'active');
    await record('escalated-revised-amended-accepted', systemId);
  });

  it('records a withdrawal and a delegated rejection', async () => {
    h.usePolicy(withTriage({}));
    const withdrawn = await file('Recorded withdrawal');
    const task = await openTask(withdrawn, 'intake_triage');
    await h.api('POST', `/api/v1/tasks/${task.id}/withdraw`, { body: { reason: 'no longer needed' } });
    await stateIs(withdrawn, 'withdrawn');
    await record('withdrawn', withdrawn);

    const delegated = await file('Recorded delegation');
    const delegatedTask = await openTask(delegated, 'intake_triage');
    await h.api('POST', `/api/v1/tasks/${delegatedTask.id}/delegate`, { as: 'lead', body: { to: 'approver' } });
    await eventually(async () => ((await h.api('GET', `/api/v1/tasks/${delegatedTask.id}`, { as: 'lead' })).body.task.assignees[0].principalId === 'approver' ? true : undefined));
    await h.decide(delegatedTask.id, 'approver', 'reject');
    await stateIs(delegated, 'rejected');
    await record('delegated-rejected', delegated);
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
});
