import { z } from 'zod';
import { impactAssessmentSchema } from './assessment';
import { riskRegisterSchema } from './risk';
import { intakeRequestSchema } from './system';

/**
 * The kinds of human step, with the choices a decider may make and the one that counts as approval.
 * A kind with a submission schema carries a payload (for example a revised intake) with its choice.
 */
export const taskKinds = {
  intake_triage: {
    title: 'Triage an AI system intake',
    choices: ['accept', 'reject', 'request_changes'],
    approvingChoice: 'accept',
    submissionSchema: undefined,
    amendmentSchema: intakeRequestSchema,
    decidedByOwner: false,
  },
  intake_revision: {
    title: 'Revise your AI system intake',
    choices: ['submit'],
    approvingChoice: 'submit',
    submissionSchema: intakeRequestSchema,
    amendmentSchema: undefined,
    decidedByOwner: true,
  },
  impact_assessment: {
    title: 'Submit the impact assessment (ISO/IEC 42005)',
    choices: ['submit'],
    approvingChoice: 'submit',
    submissionSchema: impactAssessmentSchema,
    amendmentSchema: undefined,
    decidedByOwner: true,
  },
  impact_review: {
    title: 'Review the impact assessment',
    choices: ['approve', 'reject', 'request_changes'],
    approvingChoice: 'approve',
    submissionSchema: undefined,
    amendmentSchema: undefined,
    decidedByOwner: false,
  },
  risk_treatment_plan: {
    title: 'Submit the risk treatment plan (ISO/IEC 23894)',
    choices: ['submit'],
    approvingChoice: 'submit',
    submissionSchema: riskRegisterSchema,
    amendmentSchema: undefined,
    decidedByOwner: true,
  },
  risk_signoff: {
    title: 'Sign off the risk treatment plan',
    choices: ['approve', 'reject', 'request_changes'],
    approvingChoice: 'approve',
    submissionSchema: undefined,
    amendmentSchema: undefined,
    decidedByOwner: false,
  },
} as const satisfies Record<string, TaskKindDefinition>;

interface TaskKindDefinition {
  title: string;
  choices: readonly string[];
  approvingChoice: string;
  submissionSchema: z.ZodType | undefined;
  /** What the system owner may amend while the task is open, restarting its approvals. */
  amendmentSchema: z.ZodType | undefined;
  /** True where the system owner is the one who acts (e.g. revising their intake); otherwise the owner may not decide. */
  decidedByOwner: boolean;
}

export type TaskKind = keyof typeof taskKinds;
export const taskKindNames = Object.keys(taskKinds) as TaskKind[];
export type TaskChoice = (typeof taskKinds)[TaskKind]['choices'][number];
export const allTaskChoices = [...new Set(taskKindNames.flatMap((kind) => taskKinds[kind].choices))] as TaskChoice[];

export const approvalRuleSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('any') }),
  z.strictObject({ type: z.literal('all') }),
  z.strictObject({ type: z.literal('quorum'), count: z.number().int().min(1) }),
]);
export type ApprovalRule = z.output<typeof approvalRuleSchema>;

export interface Vote {
  actorId: string;
  /** Set when a delegate decided for the assignee they stand in for. */
  onBehalfOf: string | null;
  choice: string;
  step: number;
}

/**
 * The choice that settles a task under its rule, or undefined while more votes are needed.
 * Under all/quorum any dissenting vote settles the task with that dissent: one "reject" is enough.
 */
export function settledChoice(
  rule: ApprovalRule,
  approvingChoice: string,
  assigneeCount: number,
  votes: readonly Vote[],
): string | undefined {
  if (votes.length === 0) return undefined;
  if (rule.type === 'any') return votes[0].choice;
  const dissent = votes.find((vote) => vote.choice !== approvingChoice);
  if (dissent) return dissent.choice;
  const needed = rule.type === 'all' ? assigneeCount : Math.min(rule.count, assigneeCount);
  return votes.length >= needed ? approvingChoice : undefined;
}

/** What a task decides on: a hash of the subject's content (intake, assessment, plan) and its version. */
export interface TaskSubject {
  hash: string;
  version: number;
}

export interface TaskAssignee {
  principalId: string;
  onBehalfOf: string | null;
}

export const taskStatuses = ['open', 'decided', 'expired', 'rejected_on_timeout', 'withdrawn'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
