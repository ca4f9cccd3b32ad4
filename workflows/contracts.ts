/**
 * Everything the api needs to talk to the workflows, without importing a workflow body:
 * workflow ids, messages, search attributes and the reasons a decision can be refused.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CommandProof, SignedCommandName } from '../domain/commandSignature';
import type { LifecycleState } from '../domain/lifecycle';
import type { ImpactLevel } from '../domain/assessment';
import type { Policy, TaskPolicy } from '../domain/policy';
import type { Role } from '../domain/principal';
import type { RiskLevel } from '../domain/risk';
import type { IncidentReport, Seriousness } from '../domain/incident';
import type { RetirementRequest } from '../domain/retirement';
import type { ReviewClosing, ReviewReason } from '../domain/review';
import type { IntakeRequest, RiskTier } from '../domain/system';
import type { TaskAssignee, TaskKind, TaskStatus, TaskSubject, Vote } from '../domain/task';

export type { TaskAssignee, TaskSubject };

/** Workflow type names, so the api can start a workflow without importing its body. */
export const workflowTypes = {
  intake: 'intakeWorkflow',
  humanTask: 'humanTaskWorkflow',
  impactAssessment: 'impactAssessmentWorkflow',
  riskTreatment: 'riskTreatmentWorkflow',
  periodicReview: 'periodicReviewWorkflow',
  riskAcceptance: 'riskAcceptanceWorkflow',
  incident: 'incidentWorkflow',
  retirement: 'retirementWorkflow',
  governanceDigest: 'governanceDigestWorkflow',
  auditCheckpoint: 'auditCheckpointWorkflow',
  reviewScheduleSync: 'reviewScheduleSyncWorkflow',
} as const;

export const workflowIds = {
  intake: (systemId: string) => `intake-${systemId}`,
  task: (taskId: string) => `task-${taskId}`,
  /** The first assessment and plan of a system are version 1; a re-assessment's start at the version the database allocated. */
  assessment: (systemId: string, firstVersion = 1) => (firstVersion === 1 ? `assessment-${systemId}` : `assessment-${systemId}-v${firstVersion}`),
  riskTreatment: (systemId: string, firstVersion = 1) => (firstVersion === 1 ? `risk-treatment-${systemId}` : `risk-treatment-${systemId}-v${firstVersion}`),
  /** A review asked for now; a scheduled one gets its id from the schedule (this prefix and the time). */
  review: (systemId: string, reviewKey: string) => `review-${systemId}-${reviewKey}`,
  /** One per accepted risk of a signed-off register version. */
  riskAcceptance: (systemId: string, riskId: string, registerVersion: number) => `risk-acceptance-${systemId}-${riskId}-v${registerVersion}`,
  incident: (incidentId: string) => `incident-${incidentId}`,
  retirement: (systemId: string) => `retirement-${systemId}`,
  /** One per version of the system a change outside its processes (a re-tiering) left it at. */
  reviewScheduleSync: (systemId: string, systemVersion: number) => `review-schedule-sync-${systemId}-v${systemVersion}`,
};

export const scheduleIds = {
  review: (systemId: string) => `review-${systemId}`,
  governanceDigest: 'governance-digest',
  auditCheckpoint: 'audit-checkpoint',
};

/** The platform's own principal: the requester of what a schedule starts. It holds no role and no key. */
export const platformPrincipalId = 'aims-flow';

export const searchAttributes = {
  systemId: defineSearchAttributeKey('AimsSystemId', 'KEYWORD'),
  process: defineSearchAttributeKey('AimsProcess', 'KEYWORD'),
  tier: defineSearchAttributeKey('AimsTier', 'KEYWORD'),
  state: defineSearchAttributeKey('AimsState', 'KEYWORD'),
};

/**
 * The search attributes the namespace lacks, given its custom attributes by name (as Temporal's
 * ListSearchAttributes answers them): a workflow start that sets a missing one fails.
 */
export const missingSearchAttributes = (registered: Record<string, unknown>): string[] =>
  Object.values(searchAttributes)
    .map((key) => key.name)
    .filter((name) => !(name in registered));

/** What the Temporal Web UI filters a system's processes by. */
export const processSearchAttributes = (systemId: string, process: string, more: { tier?: RiskTier | null; state?: LifecycleState } = {}) => [
  { key: searchAttributes.systemId, value: systemId },
  { key: searchAttributes.process, value: process },
  ...(more.tier ? [{ key: searchAttributes.tier, value: more.tier }] : []),
  ...(more.state ? [{ key: searchAttributes.state, value: more.state }] : []),
];

export interface IntakeWorkflowInput {
  systemId: string;
  ownerId: string;
  intake: IntakeRequest;
  policy: Policy;
}

export interface ImpactAssessmentInput {
  systemId: string;
  ownerId: string;
  /** Who asked for the assessment (the lead who accepted the intake); never one of its reviewers. */
  requesterId: string;
  tier: RiskTier;
  policy: Policy;
  /** The version the first submission gets: 1 at onboarding, the next free one at a re-assessment. */
  firstVersion?: number;
}

export interface ImpactAssessmentOutcome {
  outcome: 'approved' | 'rejected' | 'expired';
  version: number;
  impactLevel: ImpactLevel | null;
}

export type RiskTreatmentInput = ImpactAssessmentInput;

export interface RiskTreatmentOutcome {
  outcome: 'approved' | 'rejected' | 'expired';
  version: number;
  residualRisk: RiskLevel | null;
}

export interface ReviewScheduleSyncInput {
  systemId: string;
  policy: Policy;
}

export interface PeriodicReviewInput {
  systemId: string;
  reason: ReviewReason;
  /** Who asked: a person for a review asked for now, the platform for a scheduled one. */
  requesterId: string;
  /** Absent when a schedule starts the review: it then runs under the policy in force at its start. */
  policy?: Policy;
}

export interface PeriodicReviewOutcome {
  systemId: string;
  outcome: ReviewClosing | 'skipped';
  state: LifecycleState;
  reason: string;
}

export interface RiskAcceptanceInput {
  systemId: string;
  ownerId: string;
  riskId: string;
  registerVersion: number;
  residual: RiskLevel;
  /** When the acceptance expires; each re-acceptance continues as new with the extended date. */
  expiresAt: string;
  tier: RiskTier;
  policy: Policy;
}

export interface RiskAcceptanceOutcome {
  outcome: 'superseded' | 'lapsed';
  expiresAt: string;
}

export interface IncidentInput {
  incidentId: string;
  systemId: string;
  reporterId: string;
  report: IncidentReport;
  policy: Policy;
}

export interface IncidentOutcome {
  incidentId: string;
  outcome: 'closed' | 'closed_reassessing';
  suspended: boolean;
}

export interface RetirementInput {
  systemId: string;
  requesterId: string;
  request: RetirementRequest;
  policy: Policy;
}

export interface RetirementOutcome {
  systemId: string;
  outcome: 'retired' | 'rejected' | 'expired';
}

export interface IntakeOutcome {
  systemId: string;
  state: LifecycleState;
  tier: RiskTier;
  rounds: number;
}

export interface HumanTaskInput {
  taskId: string;
  systemId: string;
  systemOwnerId: string;
  kind: TaskKind;
  tier: RiskTier;
  /** Who asked for the decision; never one of its deciders (segregation of duties). */
  requesterId: string;
  /** Others who may not decide it either, e.g. whoever wrote the document under review. */
  alsoExcludedIds?: string[];
  policy: TaskPolicy;
  policyVersion: string;
  subject: TaskSubject;
  /** Hex Ed25519 public key the api's commands to this task are verified with (absent only on tasks older than signed commands). */
  commandKey?: string;
  /** The parent process may withdraw this task in the platform's name (a sibling review already refused the version). */
  withdrawableByPlatform?: boolean;
  /** Continue as new once the history reaches this many events (tests set it low). */
  historyLimit?: number;
  /** State carried into a continued run. */
  carried?: CarriedTaskState;
}

export interface CarriedTaskState {
  tier: RiskTier;
  step: number;
  stepOpened: boolean;
  subject: TaskSubject;
  assignees: TaskAssignee[];
  votes: Vote[];
  stepOpenedAt: number;
  dueAt: number;
  remindersSent: number;
  escalationLevel: number;
  withdrawal: { actorId: string; reason: string | null } | null;
  submission: unknown;
  /** Results of updates already applied, so a retried update id after continue-as-new returns the first result. */
  processedUpdates: Record<string, DecideTaskResult | TaskChangeResult | TaskSubject>;
}

export type HumanTaskResult =
  | { taskId: string; status: 'decided'; choice: string; votes: Vote[]; submission?: unknown }
  | { taskId: string; status: 'expired' | 'rejected_on_timeout'; votes: Vote[] }
  | { taskId: string; status: 'withdrawn'; votes: Vote[]; withdrawnBy: string };

export interface DecideTaskInput {
  actorId: string;
  choice: string;
  /** The subject hash the decider saw; a decision on a changed subject is refused. */
  snapshotHash: string;
  comment?: string;
  /** The kind's submission, e.g. the revised intake of an intake_revision task. */
  submission?: unknown;
  signed?: CommandProof;
}

export interface DecideTaskResult {
  taskId: string;
  choice: string;
  onBehalfOf: string | null;
  /** The task's status once this decision counted: still open while a rule or a later step needs more votes. */
  taskStatus: TaskStatus;
}

export interface DelegateTaskInput {
  /** The assignee handing their seat on this task to someone else. */
  actorId: string;
  toId: string;
  reason?: string;
  /** The target's roles as the api read them; signed with the command, so the task judges on them. */
  toRoles?: Role[];
  signed?: CommandProof;
}

export interface ReassignTaskInput {
  /** A governance lead (the api checks the role). */
  actorId: string;
  fromId: string;
  toId: string;
  reason: string;
  toRoles?: Role[];
  signed?: CommandProof;
}

export interface WithdrawTaskInput {
  actorId: string;
  reason?: string;
  signed?: CommandProof;
}

/** A person's signed command that one workflow accepted and passes on to another by a signal. */
export interface ForwardedCommand {
  name: SignedCommandName;
  /** The workflow the api addressed it to, and the Update id it came under. */
  workflowId: string;
  updateId: string;
}

/** A withdrawal passed on to a task: the owner's signed command, or the platform's own (only where the task allows it). */
export type ForwardedWithdrawal = WithdrawTaskInput & { forwarded?: ForwardedCommand };

export interface TaskChangeResult {
  taskId: string;
  assignees: TaskAssignee[];
  taskStatus: TaskStatus;
}

export interface TaskProgress {
  taskId: string;
  status: TaskStatus;
  step: number;
  subject: TaskSubject;
  assignees: TaskAssignee[];
  votes: Vote[];
  escalationLevel: number;
  dueAt: string;
}

export const decideTaskUpdate = defineUpdate<DecideTaskResult, [DecideTaskInput], 'decideTask'>('decideTask');
export const delegateTaskUpdate = defineUpdate<TaskChangeResult, [DelegateTaskInput], 'delegateTask'>('delegateTask');
export const reassignTaskUpdate = defineUpdate<TaskChangeResult, [ReassignTaskInput], 'reassignTask'>('reassignTask');
export const withdrawTaskUpdate = defineUpdate<TaskChangeResult, [WithdrawTaskInput], 'withdrawTask'>('withdrawTask');
/** From a process to its open task: the requester withdrew the whole request. */
export const requestWithdrawnSignal = defineSignal<[ForwardedWithdrawal]>('requestWithdrawn');
/** The owner withdraws the intake, whichever of its tasks is open; each closes as withdrawn. */
export const withdrawIntakeUpdate = defineUpdate<{ systemId: string; state: LifecycleState }, [WithdrawTaskInput], 'withdrawIntake'>('withdrawIntake');

/** A governance lead decides, at any stage before closure, that an incident is serious (Art. 3(49)), or that a causal link is established. */
export interface AssessSeriousnessInput {
  actorId: string;
  seriousness: Seriousness;
  signed?: CommandProof;
}
export const assessSeriousnessUpdate = defineUpdate<{ incidentId: string; regulatoryReportDue: string }, [AssessSeriousnessInput], 'assessSeriousness'>(
  'assessSeriousness',
);
export interface SubjectChange {
  subject: TaskSubject;
  /** The tier of the new version, which sets the task's chain, SLA and timeout outcome from now on. */
  tier: RiskTier;
  /** The Update id of the amendment this answers: the task takes no change it did not ask for. */
  answering?: string;
}
/** The subject changed while the task was open: pending approvals restart against the new version. */
export const subjectChangedSignal = defineSignal<[SubjectChange]>('subjectChanged');
export const taskProgressQuery = defineQuery<TaskProgress>('taskProgress');

export interface AmendSubjectInput {
  actorId: string;
  submission: unknown;
  signed?: CommandProof;
}
/**
 * The owner amends what an open task decides on (the intake under triage). The task takes it only
 * while nothing is settled, then has its parent record the new version and waits for it.
 */
export const amendSubjectUpdate = defineUpdate<TaskSubject, [AmendSubjectInput], 'amendSubject'>('amendSubject');
/** From a task to its parent: an amendment the task accepted, for the parent to record, triage and answer. */
export const subjectAmendedSignal = defineSignal<[AmendSubjectInput & { taskId: string; forwarded?: ForwardedCommand }]>('subjectAmended');

/** ApplicationFailure types with which a task refuses a decision; the api maps them to HTTP statuses. */
export const decisionRefusals = {
  taskClosed: 'TaskClosed',
  notAssignee: 'NotAssignee',
  segregationOfDuties: 'SegregationOfDuties',
  alreadyDecided: 'AlreadyDecided',
  choiceNotAllowed: 'ChoiceNotAllowed',
  invalidSubmission: 'InvalidSubmission',
  snapshotMismatch: 'SnapshotMismatch',
  notRequester: 'NotRequester',
  invalidDelegate: 'InvalidDelegate',
  /** The step's assignees are being seated; the same update a moment later will be judged. */
  taskOpening: 'TaskOpening',
  notAmendable: 'NotAmendable',
  /** The command carries no valid signature of the api for this workflow and update id. */
  commandNotSigned: 'CommandNotSigned',
  commandExpired: 'CommandExpired',
  /** The incident is serious already and the assessment adds no causal link. */
  alreadySerious: 'AlreadySerious',
} as const;
export type DecisionRefusal = (typeof decisionRefusals)[keyof typeof decisionRefusals];
