import { proxyActivities, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { TaskPolicy } from '../domain/policy';
import type { RiskTier } from '../domain/system';
import type { TaskKind, TaskSubject } from '../domain/task';
import type { Activities } from '../activities';
import { recordKeeping, recordKeepingActivities } from './activityOptions';
import { platformPrincipalId, searchAttributes, type HumanTaskResult, type RetirementInput, type RetirementOutcome } from './contracts';
import { noResultUnlessCancelled } from './cancellation';
import { startHumanTask } from './startHumanTask';

const records = recordKeepingActivities();
// Waits until every other process of the system has closed, its tasks included.
const { cancelOtherProcesses } = proxyActivities<Activities>({ ...recordKeeping, startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute' });

/** The retirement checklist: each item a task of its own, worked in parallel by the role the policy names. */
const retirementChecklist = [
  'retirement_data_disposal',
  'retirement_access_revocation',
  'retirement_user_notice',
  'retirement_archive',
] as const satisfies readonly TaskKind[];
type ChecklistItem = (typeof retirementChecklist)[number];

type TaskOutcome = HumanTaskResult | { taskId: string; status: 'failed'; votes: [] };

/** A task that failed (e.g. nobody at all could be seated) gives no verdict; the caller decides what that means. */
const outcomeOf = (task: Awaited<ReturnType<typeof startHumanTask>>): Promise<TaskOutcome> =>
  task.handle.result().catch((error) => noResultUnlessCancelled(error) ?? { taskId: task.taskId, status: 'failed' as const, votes: [] as [] });

const decidersOf = (outcome: TaskOutcome, choice: string) => outcome.votes.filter((vote) => vote.choice === choice).map((vote) => vote.actorId);

/** How an approval task that did not approve ends the request, and who ended it. */
function endOfRequest(approval: TaskOutcome): { status: 'rejected' | 'withdrawn' | 'expired'; actorId: string | null; reason: string } {
  switch (approval.status) {
    case 'decided':
      return { status: 'rejected', actorId: decidersOf(approval, approval.choice)[0], reason: 'the retirement was rejected' };
    case 'withdrawn':
      return { status: 'withdrawn', actorId: approval.withdrawnBy, reason: 'the requester withdrew the retirement' };
    case 'rejected_on_timeout':
      return { status: 'rejected', actorId: null, reason: 'the retirement was not approved in time; policy rejects on timeout for this tier' };
    case 'expired':
      return { status: 'expired', actorId: null, reason: 'the retirement was not approved in time' };
    case 'failed':
      return { status: 'expired', actorId: null, reason: 'nobody but the requester or owner could be seated to approve the retirement' };
  }
}

/** What every step of one retirement shares: its ids, the system as recorded, and how it opens its tasks. */
class RetirementRun {
  /** As recorded: read before the approval, and again once nothing else can change it. */
  system!: { ownerId: string; tier: RiskTier };

  constructor(
    readonly input: RetirementInput,
    readonly retirementId: string,
    readonly requestSubject: TaskSubject,
  ) {}

  async refreshSystem(): Promise<void> {
    const { ownerId, tier } = await records().systemToRetire({ systemId: this.input.systemId });
    // Not triaged yet: the strictest chain decides.
    const known = tier ?? 'high';
    upsertSearchAttributes([{ key: searchAttributes.tier, value: known }]);
    this.system = { ownerId, tier: known };
  }

  runTask(kind: TaskKind, taskPolicy: TaskPolicy, subject: TaskSubject, asker = this.input.requesterId) {
    const { systemId, policy } = this.input;
    return startHumanTask({
      systemId,
      systemOwnerId: this.system.ownerId,
      tier: this.system.tier,
      policyVersion: policy.version,
      commandKey: policy.commandKey,
      kind,
      requesterId: asker,
      policy: taskPolicy,
      subject,
    });
  }

  /** Nobody could be seated: try again once the task's SLA has passed, rather than at once and forever. */
  afterFailure(outcome: TaskOutcome, taskPolicy: TaskPolicy) {
    return outcome.status === 'failed' ? sleep(taskPolicy.slaByTier[this.system.tier]) : undefined;
  }

  /** One checklist item until it is done: one that ran out of time reopens for the governance leads. */
  async completeItem(item: ChecklistItem, round: number): Promise<void> {
    const { retirementId } = this;
    const { systemId, policy } = this.input;
    const forGovernanceLeads: TaskPolicy = { ...policy.tasks[item], steps: [{ role: 'governance_lead', rule: { type: 'any' } }], stepsByTier: {} };
    for (let reopened = 0; ; reopened++) {
      const itemPolicy = reopened === 0 ? policy.tasks[item] : forGovernanceLeads;
      // The process asks for the items, so neither the requester nor the approvers are kept from holding one.
      const task = await this.runTask(item, itemPolicy, this.requestSubject, platformPrincipalId);
      await records().recordChecklistItemTask({ retirementId, systemId, round, item, taskId: task.taskId, reopened });
      const outcome = await outcomeOf(task);
      if (outcome.status === 'decided') {
        const [vote] = outcome.votes;
        const { evidence } = outcome.submission as { evidence: string };
        await records().recordChecklistEvidence({ retirementId, systemId, round, item, taskId: task.taskId, evidence, doneBy: vote.actorId });
        return;
      }
      await this.afterFailure(outcome, itemPolicy);
    }
  }

  /** The sign-off of one round's evidence; one that ran out of time opens again, for it is never skipped. */
  async signOff(evidence: TaskSubject, round: number): Promise<HumanTaskResult & { status: 'decided' }> {
    const { systemId, policy } = this.input;
    for (let attempt = 1; ; attempt++) {
      const outcome = await outcomeOf(await this.runTask('retirement_signoff', policy.tasks.retirement_signoff, evidence));
      if (outcome.status === 'decided') return outcome;
      await this.afterFailure(outcome, policy.tasks.retirement_signoff);
      await records().recordSystemEvent({
        systemId,
        key: `${this.retirementId}:round-${round}:signoff-reopened-${attempt}`,
        type: 'retirement.signoff_reopened',
        data: { retirementId: this.retirementId, round, attempt, previous: outcome.status },
      });
    }
  }
}

/**
 * Retirement: the request is approved (never by its requester); the system then moves to 'retiring',
 * every other process of it but its incidents is cancelled and its review schedule deleted. The checklist (data
 * disposal, access revocation, user notice, archive) runs as parallel tasks, each recording its
 * evidence; no item is ever dropped. From the requested date on, a governance lead signs the
 * evidence off (or asks for changes: a new round of the checklist), and the system is retired with
 * all it left behind kept as evidence.
 */
export async function retirementWorkflow(input: RetirementInput): Promise<RetirementOutcome> {
  const { systemId, requesterId, request, policy } = input;
  const { workflowId, firstExecutionRunId: retirementId } = workflowInfo();
  const requestSubject = await records().recordRetirementRequest({ retirementId, systemId, workflowId, requesterId, request });
  const run = new RetirementRun(input, retirementId, requestSubject);
  await run.refreshSystem();

  const approval = await outcomeOf(await run.runTask('retirement_approval', policy.tasks.retirement_approval, requestSubject));
  if (approval.status !== 'decided' || approval.choice !== 'approve') {
    const { status, actorId, reason } = endOfRequest(approval);
    await records().closeRetirementRequest({ retirementId, systemId, status, actorId, reason });
    // The contract knows no withdrawn retirement: like a rejected one, it leaves the system as it was.
    return { systemId, outcome: status === 'expired' ? 'expired' : 'rejected' };
  }

  const approved = await records().approveRetirement({ retirementId, systemId, approvedBy: decidersOf(approval, 'approve') });
  if (!approved.retiring) return { systemId, outcome: 'rejected' };
  upsertSearchAttributes([{ key: searchAttributes.state, value: 'retiring' }]);
  // The schedule goes first, so no review starts after the sweep of running processes.
  await records().deleteReviewSchedule({ systemId });
  await cancelOtherProcesses({ systemId, exceptWorkflowId: workflowId });
  // Nothing else can change the system now: its tasks from here on are opened with the tier it ends with.
  await run.refreshSystem();
  return workThroughChecklist(run, workflowId);
}

/** Rounds of the checklist and its sign-off, until a governance lead signs the evidence off. */
async function workThroughChecklist(run: RetirementRun, workflowId: string): Promise<RetirementOutcome> {
  const { retirementId } = run;
  const { systemId, request } = run.input;
  let changesRequestedBy: string | null = null;
  for (let round = 1; ; round++) {
    await records().openRetirementChecklist({ retirementId, systemId, round, changesRequestedBy });
    await Promise.all(retirementChecklist.map((item) => run.completeItem(item, round)));
    const evidence = await records().closeRetirementChecklist({ retirementId, systemId, round });

    const untilRetireOn = Date.parse(request.retireOn) - Date.now();
    if (untilRetireOn > 0) {
      await records().recordSystemEvent({
        systemId,
        key: `${retirementId}:awaiting-retire-on`,
        type: 'retirement.awaiting_date',
        data: { retirementId, retireOn: request.retireOn },
      });
      await sleep(untilRetireOn);
    }

    const signoff = await run.signOff(evidence, round);
    if (signoff.choice === 'approve') {
      await records().completeRetirement({ retirementId, systemId, signedOffBy: decidersOf(signoff, 'approve').at(-1)!, rounds: round });
      upsertSearchAttributes([{ key: searchAttributes.state, value: 'retired' }]);
      // Again: an activation that raced the approval may have created a schedule, and a review an incident
      // asked for may have started meanwhile. The incidents themselves carry on.
      await records().deleteReviewSchedule({ systemId });
      await cancelOtherProcesses({ systemId, exceptWorkflowId: workflowId });
      return { systemId, outcome: 'retired' };
    }
    changesRequestedBy = decidersOf(signoff, signoff.choice)[0];
  }
}
