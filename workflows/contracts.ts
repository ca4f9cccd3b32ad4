/**
 * Everything the api needs to talk to the workflows, without importing a workflow body:
 * workflow ids, messages, search attributes and the reasons a decision can be refused.
 */
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { LifecycleState } from '../domain/lifecycle';
import type { Policy, TaskPolicy } from '../domain/policy';
import type { IntakeRequest, RiskTier } from '../domain/system';
import type { TaskKind, TaskStatus, Vote } from '../domain/task';

export const defaultTaskQueue = 'aims-flow';

/** Workflow type names, so the api can start a workflow without importing its body. */
export const workflowTypes = { intake: 'intakeWorkflow', humanTask: 'humanTaskWorkflow' } as const;

export const workflowIds = {
  intake: (systemId: string) => `intake-${systemId}`,
  task: (taskId: string) => `task-${taskId}`,
};

export const searchAttributes = {
  systemId: defineSearchAttributeKey('AimsSystemId', 'KEYWORD'),
  process: defineSearchAttributeKey('AimsProcess', 'KEYWORD'),
  tier: defineSearchAttributeKey('AimsTier', 'KEYWORD'),
  state: defineSearchAttributeKey('AimsState', 'KEYWORD'),
};

export interface IntakeWorkflowInput {
  systemId: string;
  ownerId: string;
  intake: IntakeRequest;
  policy: Policy;
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
  kind: TaskKind;
  tier: RiskTier;
  /** Who asked for the decision; never one of its deciders (segregation of duties). */
  requesterId: string;
  policy: TaskPolicy;
  policyVersion: string;
}

export type HumanTaskResult =
  | { taskId: string; status: 'decided'; choice: string; votes: Vote[]; submission?: unknown }
  | { taskId: string; status: 'expired' | 'rejected_on_timeout'; votes: Vote[] };

export interface DecideTaskInput {
  actorId: string;
  choice: string;
  comment?: string;
  /** The kind's submission, e.g. the revised intake of an intake_revision task. */
  submission?: unknown;
}

export interface DecideTaskResult {
  taskId: string;
  choice: string;
  /** The task's status once this decision counted: still open while an all/quorum rule needs more votes. */
  taskStatus: TaskStatus;
}

export interface TaskProgress {
  taskId: string;
  status: TaskStatus;
  assigneeIds: string[];
  votes: Vote[];
  escalationLevel: number;
  dueAt: string;
}

export const decideTaskUpdate = defineUpdate<DecideTaskResult, [DecideTaskInput]>('decideTask');
export const taskProgressQuery = defineQuery<TaskProgress>('taskProgress');

/** ApplicationFailure types with which a task refuses a decision; the api maps them to HTTP statuses. */
export const decisionRefusals = {
  taskClosed: 'TaskClosed',
  notAssignee: 'NotAssignee',
  segregationOfDuties: 'SegregationOfDuties',
  alreadyDecided: 'AlreadyDecided',
  choiceNotAllowed: 'ChoiceNotAllowed',
  invalidSubmission: 'InvalidSubmission',
} as const;
export type DecisionRefusal = (typeof decisionRefusals)[keyof typeof decisionRefusals];
