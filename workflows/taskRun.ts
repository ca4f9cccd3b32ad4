import { currentUpdateInfo, patched, workflowInfo } from '@temporalio/workflow';
import { approvalChainFor, escalationRoles } from '../domain/policy';
import type { Role } from '../domain/principal';
import { seatMoveRefusal, type SeatMove } from '../domain/seatRules';
import { settledChoice, taskKinds, type TaskKind, type TaskStatus, type Vote } from '../domain/task';
import { opennessRefusal, type TaskRefusal } from '../domain/taskRefusals';
import { isSignedForward } from './signedCommands';
import {
  platformPrincipalId,
  type CarriedTaskState,
  type DecideTaskInput,
  type ForwardedWithdrawal,
  type HumanTaskInput,
  type TaskChangeResult,
  type TaskProgress,
  type TaskSubject,
} from './contracts';

/**
 * One human task's state and its transitions (DESIGN.md §5): the step, its seats and votes, the
 * subject decided on, and how far its deadlines went. What survives continue-as-new is `state`; the
 * rest lives for one run. Handlers and the waiting loop in humanTask.ts act through it.
 */
export class TaskRun {
  readonly definition: (typeof taskKinds)[TaskKind];
  /** Who may never decide: the requester, the owner where others decide, the authors of what is decided. */
  readonly excludedIds: string[];
  readonly state: CarriedTaskState;
  status: TaskStatus = 'open';
  /** The chain's outcome, once a step's rule settled it. */
  settled: string | undefined;
  subjectChanged = false;
  stepDone = false;
  /** The Update id of the amendment the parent is recording, whose answer alone may change the subject. */
  amendmentPending: string | undefined;

  constructor(readonly input: HumanTaskInput) {
    this.definition = taskKinds[input.kind];
    this.excludedIds = [...(this.definition.decidedByOwner ? [input.requesterId] : [input.requesterId, input.systemOwnerId]), ...(input.alsoExcludedIds ?? [])];
    const startedAt = Date.now();
    this.state = input.carried ?? {
      tier: input.tier,
      step: 0,
      stepOpened: false,
      subject: input.subject,
      assignees: [],
      votes: [],
      stepOpenedAt: startedAt,
      dueAt: startedAt + input.policy.slaByTier[input.tier],
      remindersSent: 0,
      escalationLevel: 0,
      withdrawal: null,
      submission: undefined,
      processedUpdates: {},
    };
  }

  get policy() {
    return this.input.policy;
  }

  /** The tier can rise while the task is open (an amended intake): chain, SLA and timeout follow it. */
  chain() {
    return approvalChainFor(this.policy, this.state.tier);
  }

  sla(): number {
    return this.policy.slaByTier[this.state.tier];
  }

  stepVotes(): Vote[] {
    return this.state.votes.filter((vote) => vote.step === this.state.step);
  }

  /** Names one step of one version of the subject: emails and reminders are keyed by it. */
  cycle(): string {
    return `${this.state.step}.${this.state.subject.version}`;
  }

  /** The result of the current Update, when its id was applied already (a retry, also after continue-as-new). */
  recorded<T>(): T | undefined {
    return this.state.processedUpdates[currentUpdateInfo()!.id] as T | undefined;
  }

  remember<T extends CarriedTaskState['processedUpdates'][string]>(updateId: string, result: T): T {
    this.state.processedUpdates[updateId] = result;
    return result;
  }

  opennessRefusal(): TaskRefusal | undefined {
    return opennessRefusal({
      stepOpened: this.state.stepOpened,
      open: this.status === 'open',
      amending: this.amendmentPending !== undefined || this.subjectChanged,
      concluded: this.stepDone || this.settled !== undefined || Boolean(this.state.withdrawal),
    });
  }

  changeResult(): TaskChangeResult {
    return { taskId: this.input.taskId, assignees: this.state.assignees, taskStatus: this.status };
  }

  /** Whoever voted, and whoever a delegate voted for: none of them is seated again in this task. */
  votersAndRepresented(): string[] {
    return this.state.votes.flatMap((vote) => (vote.onBehalfOf ? [vote.actorId, vote.onBehalfOf] : [vote.actorId]));
  }

  progress(): TaskProgress {
    const { state } = this;
    return {
      taskId: this.input.taskId,
      status: this.status,
      step: state.step,
      subject: state.subject,
      assignees: state.assignees,
      votes: state.votes,
      escalationLevel: state.escalationLevel,
      dueAt: new Date(state.dueAt).toISOString(),
    };
  }

  /** Only the answer to this task's own pending amendment, and only the version right after its own. */
  acceptSubject({ subject, tier, answering }: { subject: TaskSubject; tier: CarriedTaskState['tier']; answering?: string }): void {
    const { state } = this;
    if (this.input.commandKey && (this.amendmentPending === undefined || answering !== this.amendmentPending || subject.version !== state.subject.version + 1))
      return;
    if (subject.version <= state.subject.version) return;
    state.subject = subject;
    state.tier = tier;
    this.subjectChanged = true;
  }

  /**
   * Counts a vote, before the first await, so a concurrent second decision already sees the step
   * settled; `withdraw` takes it back when it could not be stored.
   */
  castVote(decision: DecideTaskInput) {
    const { state, definition } = this;
    const seat = state.assignees.find((assignee) => assignee.principalId === decision.actorId)!;
    const vote: Vote = { actorId: decision.actorId, onBehalfOf: seat.onBehalfOf, choice: decision.choice, step: state.step };
    state.votes.push(vote);
    const stepChoice = settledChoice(this.chain()[state.step].rule, definition.approvingChoice, state.assignees.length, this.stepVotes());
    const chainDone = stepChoice !== undefined && (stepChoice !== definition.approvingChoice || state.step === this.chain().length - 1);
    if (chainDone) this.settled = stepChoice;
    if (stepChoice !== undefined) this.stepDone = true;
    const submissionBefore = state.submission;
    // Judged by the validator when sent; on replay a decision recorded before its kind had a schema (a triage) is not.
    if (definition.submissionSchema) state.submission = definition.submissionSchema.safeParse(decision.submission).data;
    const withdraw = () => {
      state.votes = state.votes.filter((cast) => cast !== vote);
      if (chainDone) this.settled = undefined;
      if (stepChoice !== undefined) this.stepDone = false;
      state.submission = submissionBefore;
    };
    return { vote, chainDone, withdraw };
  }

  seatMoveRefusal(change: SeatMove['change'], request: { actorId: string; toId: string; toRoles?: Role[] }, fromId: string) {
    const { state, policy } = this;
    return seatMoveRefusal({
      change,
      actorId: request.actorId,
      fromId,
      toId: request.toId,
      toRoles: request.toRoles ?? [],
      seatRole: this.chain()[state.step].role,
      alsoAllowedRoles: change === 'reassigned' ? escalationRoles(policy) : (policy.delegateRoles ?? []),
      heldOnBehalfOf: state.assignees.find((assignee) => assignee.principalId === fromId)?.onBehalfOf ?? null,
      excludedIds: this.excludedIds,
      assigneeIds: state.assignees.map((assignee) => assignee.principalId),
      voterIds: this.votersAndRepresented(),
      representedIds: state.assignees.flatMap((assignee) => (assignee.onBehalfOf && assignee.principalId !== fromId ? [assignee.onBehalfOf] : [])),
    });
  }

  /** Moves the seat; returns whom the new holder stands in for. */
  moveSeat(change: SeatMove['change'], fromId: string, toId: string): string | null {
    const { state } = this;
    const seat = state.assignees.find((assignee) => assignee.principalId === fromId)!;
    // A delegate stands in for the original assignee, until handing the seat back; a reassignment hands it over outright.
    const handsBack = change === 'delegated' && seat.onBehalfOf === toId && patched('delegate-hands-seat-back');
    const onBehalfOf = change === 'delegated' && !handsBack ? (seat.onBehalfOf ?? fromId) : null;
    state.assignees = state.assignees.map((assignee) => (assignee.principalId === fromId ? { principalId: toId, onBehalfOf } : assignee));
    return onBehalfOf;
  }

  /** The owner's signed withdrawal of the parent's request, or the platform's where the parent may withdraw it. */
  isAuthorisedWithdrawal(request: ForwardedWithdrawal): boolean {
    const { input } = this;
    // Tasks started before signed commands took the platform's withdrawal from any parent, as they still do.
    if (request.actorId === platformPrincipalId) return input.withdrawableByPlatform === true || !input.commandKey;
    const { forwarded } = request;
    if (input.commandKey && (forwarded?.name !== 'withdrawIntake' || forwarded.workflowId !== workflowInfo().parent?.workflowId)) return false;
    return isSignedForward(input.commandKey, request);
  }

  /** What the activities that seat a step are told. */
  stepOpening() {
    const { input, state } = this;
    return {
      taskId: input.taskId,
      systemId: input.systemId,
      step: state.step,
      stepCount: this.chain().length,
      role: this.chain()[state.step].role,
      rule: this.chain()[state.step].rule,
      delegateRoles: this.policy.delegateRoles ?? [],
      excludedIds: [...this.excludedIds, ...this.votersAndRepresented()],
      dueAt: new Date(state.dueAt).toISOString(),
      subject: state.subject,
      cycle: this.cycle(),
    };
  }

  stopWaiting(): boolean {
    return this.stepDone || this.settled !== undefined || this.state.withdrawal !== null || this.subjectChanged;
  }

  /**
   * After a step: the chain starts again from its first step when the subject changed (approvals on
   * the old version no longer count), goes on to the next step when this one approved, or is done.
   */
  nextCycle(): 'restarted' | 'next step' | 'done' {
    const { state, definition } = this;
    const stepChoice = settledChoice(this.chain()[state.step].rule, definition.approvingChoice, state.assignees.length, this.stepVotes());
    const moveOn = this.settled === undefined && stepChoice === definition.approvingChoice && state.step < this.chain().length - 1;
    if (this.subjectChanged && this.settled === undefined && !state.withdrawal) {
      this.subjectChanged = false;
      this.restartCycle(0);
      return 'restarted';
    }
    if (moveOn) {
      this.restartCycle(state.step + 1);
      return 'next step';
    }
    return 'done';
  }

  private restartCycle(step: number): void {
    const { state } = this;
    const now = Date.now();
    state.step = step;
    state.stepOpened = false;
    state.stepOpenedAt = now;
    state.dueAt = now + this.sla();
    state.remindersSent = 0;
    state.escalationLevel = 0;
    this.stepDone = false;
    if (step === 0) state.votes = [];
  }
}
