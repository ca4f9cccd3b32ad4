import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideTaskUpdate, taskProgressQuery, workflowIds } from '../workflows/contracts';
import { eventually, sampleIntake, startHarness, startStandaloneTriageTask, submitActionForm, type CastMember, type Harness } from './helpers/harness';
import { calmPolicy, withTriage } from './helpers/policies';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

interface Event {
  type: string;
  actorId: string | null;
  data: Record<string, any>;
}

async function fileIntake(name: string) {
  const response = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name }) });
  expect(response.status).toBe(202);
  return response.body.systemId as string;
}

const openTriage = (systemId: string) => h.openTask(systemId, 'intake_triage');

const taskDetail = async (taskId: string) => (await h.api('GET', `/api/v1/tasks/${taskId}`, { as: 'lead' })).body;
const eventsOf = (history: Event[], type: string) => history.filter((event) => event.type === type);
const actionNeeded = (name: string, email: string) => (m: { to: string[]; subject: string }) =>
  m.to.includes(email) && m.subject === `Action needed: Triage an AI system intake: ${name}`;

async function systemInState(systemId: string, state: string) {
  return eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return body.system?.state === state ? body : undefined;
  });
}

describe('escalation and assignment', () => {
  it('hands the task from the lead to their manager when the ladder says reassign', async () => {
    h.usePolicy(
      withTriage({
        slaByTier: { low: '2s', medium: '2s', high: '2s', prohibited: '2s' },
        reminderPoints: [],
        escalationLadder: [{ action: 'reassign', target: 'manager', window: '1h' }],
      }),
    );
    const systemId = await fileIntake('Handed-over model');
    const task = await openTriage(systemId);
    const escalated = await h.mail.waitFor(
      (m) => m.to.includes(h.people.leadManager.email) && m.subject === 'Escalated to you: Triage an AI system intake: Handed-over model',
    );

    const atLevel1 = await h.api('GET', `/api/v1/tasks?escalationLevel=1&systemId=${systemId}`, { as: 'lead' });
    expect(atLevel1.body.tasks).toEqual([
      expect.objectContaining({ id: task.id, assignees: [expect.objectContaining({ principalId: 'leadManager', addedAtLevel: 1 })] }),
    ]);
    expect((await h.api('GET', `/api/v1/tasks?mine=true&systemId=${systemId}`, { as: 'lead' })).body.tasks).toEqual([]);
    const refused = await h.decide(task.id, 'lead', 'accept');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('not_assignee');

    const decided = await submitActionForm(escalated.links[0], { choice: 'accept' });
    expect(decided.status).toBe(200);
    const detail = await systemInState(systemId, 'assessment');
    expect(eventsOf(detail.history, 'task.escalated').map((event) => event.data)).toEqual([
      expect.objectContaining({ level: 1, action: 'reassign', targetIds: ['leadManager'] }),
    ]);
    expect(eventsOf(detail.history, 'task.decided')).toEqual([expect.objectContaining({ actorId: 'leadManager' })]);
  });

  it('gives a step whose role nobody holds to the governance leads, telling them why', async () => {
    const { rows } = await h.pool.query("SELECT id FROM principals WHERE 'admin' = ANY(roles)");
    expect(rows).toEqual([]);
    h.usePolicy(withTriage({ steps: [{ role: 'admin' }] }));
    const systemId = await fileIntake('Orphan model');
    const task = await openTriage(systemId);
    expect(task.assignees.map((a: { principalId: string }) => a.principalId)).toEqual(['lead']);

    const gap = await h.mail.waitFor(
      (m) => m.to.includes(h.people.lead.email) && m.subject === 'Nobody holds the role for: Triage an AI system intake: Orphan model',
    );
    expect(gap.text).toContain('Nobody holds the role this step of the task needs');
    await h.mail.waitFor(actionNeeded('Orphan model', h.people.lead.email));
    const history: Event[] = (await taskDetail(task.id)).history;
    expect(eventsOf(history, 'task.assignment_gap').map((event) => event.data)).toEqual([{ step: 0, role: 'admin', assignedTo: ['lead'] }]);

    expect((await h.decide(task.id, 'lead', 'accept')).status).toBe(200);
    await systemInState(systemId, 'assessment');
  });
});

describe('out-of-office delegation', () => {
  it('sends tasks opened while the lead is away to their delegate, where the policy lets the delegate sit, until the delegation ends', async () => {
    h.usePolicy(calmPolicy);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const put = (body: unknown) => h.api('PUT', '/api/v1/me/delegation', { as: 'lead', body });
    expect((await put({ to: 'lead', until })).status).toBe(400);
    expect((await put({ to: 'nobody-here', until })).status).toBe(400);
    const past = await put({ to: 'approver', until: new Date(Date.now() - 60_000).toISOString() });
    expect(past.status).toBe(400);
    expect(past.body.fields.until).toEqual(['must be in the future']);
    const tooLong = await put({ to: 'approver', until: new Date(Date.now() + 200 * 86_400_000).toISOString() });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.fields.until).toEqual(['an out-of-office lasts at most 90 days']);
    const toAuditor = await put({ to: 'auditor', until });
    expect(toAuditor.status).toBe(400);
    expect(toAuditor.body.fields.to[0]).toContain('auditors never hold a seat');

    try {
      const set = await put({ to: 'approver', until });
      expect(set.status).toBe(200);
      expect((await h.api('GET', '/api/v1/me', { as: 'lead' })).body.delegation).toEqual({ to: 'approver', until });

      // The approver holds no governance_lead role: the lead keeps the triage seat, rather than it being lost.
      const kept = await openTriage(await fileIntake('Holiday model, kept'));
      expect(kept.assignees).toEqual([expect.objectContaining({ principalId: 'lead', onBehalfOf: null })]);
      // Nor can the lead hand their seats to the owner of a system they triage.
      const toOwner = await put({ to: 'owner', until });
      expect(toOwner.status).toBe(400);
      expect(toOwner.body.fields.to).toEqual([`owner is the requester or the owner of a task you hold (${kept.id}), which they may not decide`]);

      h.usePolicy(withTriage({ delegateRoles: ['approver'] }));
      const systemId = await fileIntake('Holiday model');
      const task = await openTriage(systemId);
      expect(task.assignees).toEqual([expect.objectContaining({ principalId: 'approver', onBehalfOf: 'lead' })]);
      await h.mail.waitFor(actionNeeded('Holiday model', h.people.approver.email));

      const decided = await h.decide(task.id, 'approver', 'accept', { comment: 'for Grace' });
      expect(decided.body).toMatchObject({ choice: 'accept', onBehalfOf: 'lead', taskStatus: 'decided' });
      await systemInState(systemId, 'assessment');
      const detail = await taskDetail(task.id);
      expect(detail.decisions).toEqual([expect.objectContaining({ actorId: 'approver', onBehalfOf: 'lead', choice: 'accept' })]);
      expect(eventsOf(detail.history, 'task.decided')).toEqual([
        expect.objectContaining({ actorId: 'approver', data: expect.objectContaining({ onBehalfOf: 'lead', comment: 'for Grace' }) }),
      ]);
    } finally {
      expect((await h.api('DELETE', '/api/v1/me/delegation', { as: 'lead' })).status).toBe(204);
    }

    expect((await h.api('GET', '/api/v1/me', { as: 'lead' })).body.delegation).toBeNull();
    const back = await openTriage(await fileIntake('Back-at-work model'));
    expect(back.assignees).toEqual([expect.objectContaining({ principalId: 'lead', onBehalfOf: null })]);
  });
});

describe('changing who decides an open task', () => {
  it('lets the assignee delegate the task to one who may sit, whose delegate decides from the emailed link on their behalf', async () => {
    h.usePolicy(withTriage({ delegateRoles: ['approver'] }));
    const systemId = await fileIntake('Delegated model');
    const task = await openTriage(systemId);
    const leadEmail = await h.mail.waitFor(actionNeeded('Delegated model', h.people.lead.email));
    const delegate = (to: string) => h.api('POST', `/api/v1/tasks/${task.id}/delegate`, { as: 'lead', body: { to, reason: 'conflict of interest' } });

    const toOwner = await delegate('owner');
    expect(toOwner.status).toBe(403);
    expect(toOwner.body.error).toBe('segregation_of_duties');
    expect((await delegate('nobody-here')).status).toBe(400);
    expect((await delegate('auditor')).body.error).toBe('segregation_of_duties');
    const noRole = await delegate('executive');
    expect(noRole.status).toBe(409);
    expect(noRole.body.message).toBe('executive does not hold the role governance_lead this step asks for');

    const delegated = await delegate('approver');
    expect(delegated.status).toBe(200);
    expect(delegated.body).toEqual({ taskId: task.id, assignees: [{ principalId: 'approver', onBehalfOf: 'lead' }], taskStatus: 'open' });
    const approverEmail = await h.mail.waitFor(actionNeeded('Delegated model', h.people.approver.email));
    expect(approverEmail.links).toHaveLength(1);

    const byLead = await h.decide(task.id, 'lead', 'accept');
    expect(byLead.status).toBe(409);
    expect(byLead.body.error).toBe('not_assignee');
    expect((await submitActionForm(leadEmail.links[0], { choice: 'accept' })).status).toBe(409);
    // A delegate hands the seat back, never on.
    const onwards = await h.api('POST', `/api/v1/tasks/${task.id}/delegate`, { as: 'approver', body: { to: 'ownerManager' } });
    expect(onwards.body).toMatchObject({ error: 'invalid_delegate', message: 'a delegate cannot delegate further; hand the seat back to lead' });

    const decided = await submitActionForm(approverEmail.links[0], { choice: 'reject', comment: 'not ready' });
    expect(decided.status).toBe(200);
    await systemInState(systemId, 'rejected');
    const detail = await taskDetail(task.id);
    expect(detail.decisions).toEqual([expect.objectContaining({ actorId: 'approver', onBehalfOf: 'lead', choice: 'reject' })]);
    expect(eventsOf(detail.history, 'task.delegated')).toEqual([
      expect.objectContaining({ actorId: 'lead', data: { fromId: 'lead', toId: 'approver', onBehalfOf: 'lead', reason: 'conflict of interest' } }),
    ]);
  });

  it('lets only a governance lead reassign the task, to one who may sit but never to themselves, recording who, from whom, to whom and why', async () => {
    // The ladder brings approvers into triage, so a lead may hand a triage seat to one.
    h.usePolicy(withTriage({ escalationLadder: [{ action: 'add', target: 'approver', window: '1h' }] }));
    const systemId = await fileIntake('Reassigned model');
    const task = await openTriage(systemId);
    const reassign = (as: 'lead' | 'owner' | 'approver', to = 'leadManager') =>
      h.api('POST', `/api/v1/tasks/${task.id}/reassign`, { as, body: { from: 'lead', to, reason: 'Grace is on leave' } });

    expect((await reassign('owner')).status).toBe(403);
    expect((await reassign('approver')).status).toBe(403);
    expect((await reassign('lead', 'lead')).body).toMatchObject({
      error: 'segregation_of_duties',
      message: 'a seat cannot be reassigned to the person reassigning it',
    });
    expect((await reassign('lead', 'executive')).body.error).toBe('invalid_delegate');
    expect((await reassign('lead', 'auditor')).body.error).toBe('segregation_of_duties');
    const reassigned = await reassign('lead');
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.assignees).toEqual([{ principalId: 'leadManager', onBehalfOf: null }]);
    await h.mail.waitFor(actionNeeded('Reassigned model', h.people.leadManager.email));

    expect((await h.decide(task.id, 'lead', 'accept')).body.error).toBe('not_assignee');
    expect((await h.decide(task.id, 'leadManager', 'accept')).body).toMatchObject({ onBehalfOf: null, taskStatus: 'decided' });
    await systemInState(systemId, 'assessment');
    expect(eventsOf((await taskDetail(task.id)).history, 'task.reassigned')).toEqual([
      expect.objectContaining({ actorId: 'lead', data: { fromId: 'lead', toId: 'leadManager', onBehalfOf: null, reason: 'Grace is on leave' } }),
    ]);
  });

  it('lets the requester, and only them, withdraw an open triage, which withdraws the system', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await fileIntake('Withdrawn model');
    const task = await openTriage(systemId);

    const byLead = await h.api('POST', `/api/v1/tasks/${task.id}/withdraw`, { as: 'lead', body: {} });
    expect(byLead.status).toBe(403);
    const withdrawn = await h.api('POST', `/api/v1/tasks/${task.id}/withdraw`, { as: 'owner', body: { reason: 'project cancelled' } });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.taskStatus).toBe('withdrawn');

    const detail = await systemInState(systemId, 'withdrawn');
    expect(detail.tasks[0]).toMatchObject({ id: task.id, status: 'withdrawn', outcome: null });
    expect(eventsOf(detail.history, 'task.closed')).toEqual([
      expect.objectContaining({ actorId: 'owner', data: { status: 'withdrawn', outcome: null, reason: 'project cancelled' } }),
    ]);
    const late = await h.decide(task.id, 'lead', 'accept');
    expect(late.status).toBe(409);
    expect(late.body.error).toBe('task_closed');
  });
});

describe('long-running tasks', () => {
  it('continues as new past its history limit, answering a retried decision with its first result, then completes', async () => {
    h.usePolicy(calmPolicy);
    const systemId = await fileIntake('Long-running model');
    const { subjectHash } = await openTriage(systemId);
    const { taskId, handle } = await startStandaloneTriageTask(h, {
      systemId,
      subjectHash,
      policy: withTriage({ steps: [{ role: 'approver', rule: { type: 'all' } }] }),
      historyLimit: 30,
    });
    // The workflow's own state, not the task row, which is written a moment before the workflow has seated its step.
    await eventually(async () => ((await handle.query(taskProgressQuery)).assignees.length === 3 ? true : undefined));

    // The same update id before and after continue-as-new, as a client retrying a lost answer would send.
    const acceptOnce = () =>
      h.temporal.workflow.getHandle(workflowIds.task(taskId)).executeUpdate(decideTaskUpdate, {
        args: [
          h.signCommand('decideTask', workflowIds.task(taskId), 'approver-accepts-once', { actorId: 'approver', choice: 'accept', snapshotHash: subjectHash }),
        ],
        updateId: 'approver-accepts-once',
      });
    const first = await acceptOnce();
    expect(first).toEqual({ taskId, choice: 'accept', onBehalfOf: null, taskStatus: 'open' });

    // Each reassignment adds some ten events; the seat moves between ownerManager and the executive.
    let seat: CastMember = 'ownerManager';
    for (let round = 0; (await handle.describe()).runId === handle.firstExecutionRunId; round++) {
      expect(round).toBeLessThan(10);
      const to: CastMember = seat === 'ownerManager' ? 'executive' : 'ownerManager';
      const moved = await h.api('POST', `/api/v1/tasks/${taskId}/reassign`, { as: 'lead', body: { from: seat, to, reason: 'grow the history' } });
      expect(moved.status).toBe(200);
      seat = to;
      // Settled once the reassignment's emails are out: a long history has then continued as new.
      await eventually(async () => {
        const { runId, raw } = await handle.describe();
        return runId !== handle.firstExecutionRunId || !raw.pendingActivities?.length ? true : undefined;
      });
    }

    expect(await acceptOnce()).toEqual(first);
    const { rows } = await h.pool.query('SELECT actor_id FROM decisions WHERE task_id = $1', [taskId]);
    expect(rows).toEqual([{ actor_id: 'approver' }]);

    for (const person of [seat, 'leadManager'] as const) expect((await h.decide(taskId, person, 'accept')).status).toBe(200);
    const result = await handle.result();
    expect(result).toMatchObject({ taskId, status: 'decided', choice: 'accept' });
    expect(result.votes.map((vote) => vote.actorId)).toEqual(['approver', seat, 'leadManager']);
    expect((await taskDetail(taskId)).task).toMatchObject({ status: 'decided', outcome: 'accept' });
  });
});
