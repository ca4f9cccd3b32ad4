import { z } from 'zod';
import { impactAssessmentSchema } from './assessment';
import { incidentContainmentSchema, incidentResolutionSchema, regulatoryReportSchema } from './incident';
import { checklistEvidenceSchema } from './retirement';
import { reviewAttestationSchema } from './review';
import { riskRegisterSchema } from './risk';
import { intakeRequestSchema } from './system';
import { triageDecisionSchema } from './triageVerdict';

/** A task the owner acts on, with the document they submit. */
const ownerSubmits = (title: string, submissionSchema: z.ZodType) =>
  ({ title, choices: ['submit'], approvingChoice: 'submit', submissionSchema, amendmentSchema: undefined, decidedByOwner: true }) as const;

/** A decision by others than the owner, on something the task's subject names. */
const othersDecide = <C extends readonly [string, ...string[]]>(title: string, choices: C) =>
  ({ title, choices, approvingChoice: choices[0], submissionSchema: undefined, amendmentSchema: undefined, decidedByOwner: false }) as const;

/** One item of the retirement checklist, done by its holder with the evidence recorded. */
const checklistItem = (title: string, decidedByOwner: boolean) =>
  ({ title, choices: ['done'], approvingChoice: 'done', submissionSchema: checklistEvidenceSchema, amendmentSchema: undefined, decidedByOwner }) as const;

/**
 * The kinds of human step, with the choices a decider may make and the one that counts as approval.
 * A kind with a submission schema carries a payload (for example a revised intake) with its choice.
 */
export const taskKinds = {
  intake_triage: {
    title: 'Triage an AI system intake',
    choices: ['accept', 'reject', 'request_changes'],
    approvingChoice: 'accept',
    submissionSchema: triageDecisionSchema,
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
  risk_reacceptance: othersDecide('Re-accept a risk whose acceptance expires', ['reaccept', 'reject']),
  review_attestation: ownerSubmits('Attest the periodic review of your AI system', reviewAttestationSchema),
  incident_acknowledgement: {
    ...ownerSubmits('Acknowledge an incident', z.unknown()),
    choices: ['acknowledge'],
    approvingChoice: 'acknowledge',
    submissionSchema: undefined,
  },
  incident_containment: { ...ownerSubmits('Contain an incident', incidentContainmentSchema), choices: ['contain'], approvingChoice: 'contain' },
  incident_resolution: { ...ownerSubmits('Resolve an incident', incidentResolutionSchema), choices: ['resolve'], approvingChoice: 'resolve' },
  incident_closure: othersDecide('Approve the closure of an incident', ['close', 'close_and_reassess', 'request_changes']),
  incident_regulatory_report: {
    ...othersDecide('Report a serious incident to the authority', ['report']),
    submissionSchema: regulatoryReportSchema,
  },
  retirement_approval: othersDecide('Approve the retirement of an AI system', ['approve', 'reject']),
  retirement_data_disposal: checklistItem('Retirement: retain or dispose of the data', false),
  retirement_access_revocation: checklistItem('Retirement: revoke access and credentials', false),
  retirement_user_notice: checklistItem('Retirement: notify users and affected parties', true),
  retirement_archive: checklistItem('Retirement: archive the documentation', false),
  retirement_signoff: othersDecide('Sign off the retirement of an AI system', ['approve', 'request_changes']),
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
export function settledChoice(rule: ApprovalRule, approvingChoice: string, assigneeCount: number, votes: readonly Vote[]): string | undefined {
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

/** `cancelled`: the process the task belonged to was cancelled, e.g. because its system is retiring. */
export const taskStatuses = ['open', 'decided', 'expired', 'rejected_on_timeout', 'withdrawn', 'cancelled'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
