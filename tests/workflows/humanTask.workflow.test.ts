import { randomUUID } from 'node:crypto';
import { activityInfo, CompleteAsyncError } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Activities } from '../../activities';
import { createCommandSigner } from '../../api/commandSigner';
import { delegateTask } from '../../api/decisions';
import type { ApiDeps } from '../../api/deps';
import { preparePolicy } from '../../api/policy';
import type { TaskRecord } from '../../db/tasks';
import type { TaskAssignee } from '../../domain/task';
import { decideTaskUpdate, workflowIds, workflowTypes, type HumanTaskInput, type HumanTaskResult } from '../../workflows/contracts';
import { eventually } from '../helpers/harness';
import { newEd25519Pem } from '../helpers/keys';
import { withTriage } from '../helpers/policies';

/**
 * The human-task workflow on the dev server with fake activities: no PostgreSQL, no api, no mail. What
 * is asserted is what the workflow itself decides: when it reminds, how it climbs the ladder, how a
 * timeout ends, and that a decision stops the clock.
 */
const taskQueue = `workflow-tests-${randomUUID()}`;
const signer = createCommandSigner(newEd25519Pem());
let client: Client;
let worker: Worker;
let running: Promise<void>;

let releaseSeatChange = () => {};
const seatChangeHeld = new Promise<void>((resolve) => (releaseSeatChange = resolve));

/** What each activity was asked, and when (epoch milliseconds). */
type Call = { name: string; at: number; input: any };
const callsByTask = new Map<string, Call[]>();

function recording(taskId: string, name: string, input: unknown) {
  callsByTask.get(taskId)?.push({ name, at: Date.now(), input });
}

const seat = (principalId: string): TaskAssignee => ({ principalId, onBehalfOf: null });

/** Stand-ins for the record-keeping activities, answering as the real ones would for a task seated on `lead`. */
const fakeActivities = {
  async openTask(input: { taskId: string }) {
    recording(input.taskId, 'openTask', input);
    return { assignees: [seat('lead')], emailKeys: [] };
  },
  async openTaskStep(input: { taskId: string }) {
    recording(input.taskId, 'openTaskStep', input);
    return { assignees: [seat('lead')], emailKeys: [] };
  },
  async remindAssignees(input: { taskId: string }) {
    recording(input.taskId, 'remindAssignees', input);
    return { emailKeys: [] };
  },
  async escalateTask(input: { taskId: string; action: string; assignees: TaskAssignee[] }) {
    recording(input.taskId, 'escalateTask', input);
    const added = input.action === 'add' ? [seat('lead2')] : [];
    return { assignees: [...input.assignees, ...added], targetIds: added.map((assignee) => assignee.principalId), emailKeys: [] };
  },
  /** Held until the test lets it go, so that an Update's handler is still running when the test needs it to be. */
  async changeAssignee(input: { taskId: string }) {
    recording(input.taskId, 'changeAssignee', input);
    await seatChangeHeld;
    return { emailKeys: [] };
  },
  async recordDecision(input: { taskId: string }) {
    recording(input.taskId, 'recordDecision', input);
  },
  async closeTask(input: { taskId: string }) {
    recording(input.taskId, 'closeTask', input);
  },
} satisfies Partial<Activities>;

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }), namespace: inject('temporalNamespace') });
  worker = await Worker.create({ ...(await workerOptions()), taskQueue, activities: fakeActivities });
  running = worker.run();
});
afterAll(async () => {
  releaseSeatChange();
  worker?.shutdown();
  await running;
});

async function workerOptions() {
  return {
    connection: await NativeConnection.connect({ address: inject('temporalAddress') }),
    namespace: inject('temporalNamespace'),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  };
}

/** Starts a triage task under `policy`'s triage settings, as a parent process would. */
async function startTask(triage: Parameters<typeof withTriage>[0], tier: HumanTaskInput['tier'] = 'low', queue = taskQueue) {
  const policy = preparePolicy(withTriage(triage));
  const taskId = randomUUID();
  const startedAt = Date.now();
  callsByTask.set(taskId, []);
  const input: HumanTaskInput = {
    taskId,
    systemId: randomUUID(),
    systemOwnerId: 'owner',
    kind: 'intake_triage',
    tier,
    requesterId: 'owner',
    policy: policy.tasks.intake_triage,
    policyVersion: policy.version,
    commandKey: signer.publicKey,
    subject: { hash: 'a'.repeat(64), version: 1 },
  };
  const handle = await client.workflow.start(workflowTypes.humanTask, { taskQueue: queue, workflowId: workflowIds.task(taskId), args: [input] });
  return { taskId, handle, startedAt, calls: () => callsByTask.get(taskId)! };
}

const ladder = {
  steps: [{ role: 'governance_lead' as const }],
  slaByTier: { low: '2s', medium: '2s', high: '2s', prohibited: '2s' },
  reminderPoints: [0.5],
  escalationLadder: [
    { action: 'notify' as const, target: 'manager' as const, window: '1s' },
    { action: 'add' as const, target: 'governance_lead' as const, window: '1s' },
  ],
  timeoutOutcomeByTier: { low: 'expire', medium: 'expire', high: 'reject', prohibited: 'reject' } as const,
};

describe('the human-task workflow, with fake activities', () => {
  it('reminds at the policy’s point, climbs each level of the ladder at its deadline, and expires at its end', async () => {
    const { handle, startedAt, calls } = await startTask(ladder);
    const result: HumanTaskResult = await handle.result();

    expect(result.status).toBe('expired');
    expect(calls().map((call) => call.name)).toEqual(['openTask', 'remindAssignees', 'escalateTask', 'escalateTask', 'closeTask']);
    const [, reminder, notified, added, closed] = calls();
    const deadlineOf = (call: Call) => Date.parse(call.input.dueAt);
    // Never early: the reminder at half the 2 s SLA, the first level at the SLA, each next step at the deadline the one before set.
    expect(reminder.at - startedAt).toBeGreaterThanOrEqual(1_000);
    expect(notified).toMatchObject({ input: { level: 1, action: 'notify', target: 'manager' } });
    expect(notified.at - startedAt).toBeGreaterThanOrEqual(2_000);
    expect(added).toMatchObject({ input: { level: 2, action: 'add', target: 'governance_lead' } });
    expect(deadlineOf(added) - deadlineOf(notified)).toBeGreaterThanOrEqual(1_000);
    expect(added.at).toBeGreaterThanOrEqual(deadlineOf(notified));
    expect(closed).toMatchObject({ input: { status: 'expired', outcome: null } });
    expect(closed.at).toBeGreaterThanOrEqual(deadlineOf(added));
  });

  it('rejects on timeout where the policy says so for the tier', async () => {
    const { handle, calls } = await startTask(ladder, 'high');
    expect((await handle.result()).status).toBe('rejected_on_timeout');
    expect(calls().at(-1)).toMatchObject({ name: 'closeTask', input: { status: 'rejected_on_timeout' } });
  });

  it('stops the clock on a signed decision after a reminder: no escalation, and the task closes decided', async () => {
    const { taskId, handle, calls } = await startTask({
      ...ladder,
      slaByTier: { low: '4s', medium: '4s', high: '4s', prohibited: '4s' },
      reminderPoints: [0.25],
    });
    // Decided once the reminder went out, three seconds before the first level of the ladder would act.
    await eventually(async () => (calls().some((call) => call.name === 'remindAssignees') ? true : undefined));
    const updateId = randomUUID();
    const decision = { actorId: 'lead', choice: 'accept', snapshotHash: 'a'.repeat(64) };
    const signed = { ...decision, signed: signer.sign({ name: 'decideTask', workflowId: workflowIds.task(taskId), updateId, args: decision }) };
    expect(await handle.executeUpdate(decideTaskUpdate, { args: [signed], updateId })).toMatchObject({ choice: 'accept', taskStatus: 'decided' });

    expect(await handle.result()).toMatchObject({
      status: 'decided',
      choice: 'accept',
      votes: [expect.objectContaining({ actorId: 'lead', choice: 'accept' })],
    });
    expect(calls().map((call) => call.name)).toEqual(['openTask', 'remindAssignees', 'recordDecision', 'closeTask']);
  });

  it('answers an Update the task ended under, accepted but not yet answered, as a closed task, not a failure', async () => {
    const { taskId, handle, calls } = await startTask({ ...ladder, slaByTier: { low: '1h', medium: '1h', high: '1h', prohibited: '1h' } });
    await eventually(async () => (calls().some((call) => call.name === 'openTask') ? true : undefined));
    const deps = { temporal: client, commandSigner: signer, temporalDeadlineMs: 10_000 } as ApiDeps;
    const task = { id: taskId, workflowId: workflowIds.task(taskId) } as TaskRecord;
    const delegation = delegateTask(deps, task, { actorId: 'lead', toId: 'deputy', toRoles: ['governance_lead'] }, randomUUID());
    // Refused while the test still waits on the handler: its refusal is asserted below, not left unhandled.
    delegation.catch(() => {});
    // The seat change is being recorded: the Update was accepted and its handler waits on the activity.
    await eventually(async () => (calls().some((call) => call.name === 'changeAssignee') ? true : undefined));
    await handle.terminate('ended while a delegation was being recorded');

    await expect(delegation).rejects.toMatchObject({ status: 409, code: 'task_closed' });
  });

  it('answers an Update delivered in the very task that closes the workflow as a closed task, not a failure', async () => {
    // A worker of its own whose closeTask completes only when the test says, with no worker polling by then.
    const closingQueue = `${taskQueue}-closing`;
    const closeTokens = new Map<string, Uint8Array>();
    const closingActivities = {
      ...fakeActivities,
      async closeTask(input: { taskId: string }) {
        closeTokens.set(input.taskId, activityInfo().taskToken);
        throw new CompleteAsyncError();
      },
    };
    const startWorker = async () => {
      const closing = await Worker.create({ ...(await workerOptions()), taskQueue: closingQueue, activities: closingActivities });
      return { closing, running: closing.run() };
    };
    const first = await startWorker();
    const { taskId, handle, calls } = await startTask({ ...ladder, slaByTier: { low: '1h', medium: '1h', high: '1h', prohibited: '1h' } }, 'low', closingQueue);
    await eventually(async () => (calls().some((call) => call.name === 'openTask') ? true : undefined));
    const decision = { actorId: 'lead', choice: 'reject', snapshotHash: 'a'.repeat(64) };
    const updateId = randomUUID();
    const signed = { ...decision, signed: signer.sign({ name: 'decideTask', workflowId: handle.workflowId, updateId, args: decision }) };
    expect(await handle.executeUpdate(decideTaskUpdate, { args: [signed], updateId })).toMatchObject({ taskStatus: 'decided' });
    await eventually(async () => closeTokens.get(taskId));
    first.closing.shutdown();
    await first.running;

    // The task's record is closed and a late delegation waits for a worker: the next workflow task carries both.
    await client.activity.complete(closeTokens.get(taskId)!, undefined);
    const deps = { temporal: client, commandSigner: signer, temporalDeadlineMs: 20_000 } as ApiDeps;
    const task = { id: taskId, workflowId: handle.workflowId } as TaskRecord;
    const lateUpdateId = randomUUID();
    const late = delegateTask(deps, task, { actorId: 'lead', toId: 'deputy', toRoles: ['governance_lead'] }, lateUpdateId);
    // Refused while the test still waits on the server: its refusal is asserted below, not left unhandled.
    late.catch(() => {});
    await eventually(() => updateAdmitted(handle.workflowId, lateUpdateId));
    const second = await startWorker();
    try {
      await expect(late).rejects.toMatchObject({ status: 409, code: 'task_closed' });
      expect(await handle.result()).toMatchObject({ status: 'decided', choice: 'reject' });
    } finally {
      second.closing.shutdown();
      await second.running;
    }
  });
});

/** Whether the server holds the Update, admitted and waiting for a worker. */
async function updateAdmitted(workflowId: string, updateId: string): Promise<true | undefined> {
  const request = {
    namespace: client.options.namespace,
    updateRef: { workflowExecution: { workflowId }, updateId },
    waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
  };
  return client.workflowService.pollWorkflowExecutionUpdate(request).then(
    () => true as const,
    () => undefined,
  );
}
