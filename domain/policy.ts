import ms from 'ms';
import { z } from 'zod';
import { incidentSeverities } from './incident';
import { roles, type Role } from './principal';
import { dataCategories, decisionRoles, humanOversightModes, impactAreas, riskTiers, useCategories, type RiskTier } from './system';
import { approvalRuleSchema, taskKindNames, type TaskKind } from './task';

/** A duration as milliseconds or as text such as "3d", "48h" or "5s". */
export const durationSchema = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  const millis = typeof value === 'number' ? value : ms(value as ms.StringValue);
  if (typeof millis !== 'number' || !Number.isFinite(millis) || millis <= 0) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not a positive duration such as "48h" or "5s"` });
    return z.NEVER;
  }
  return millis;
});

const tierMap = <T extends z.ZodType>(value: T) => z.strictObject({ low: value, medium: value, high: value, prohibited: value });

const severityMap = <T extends z.ZodType>(value: T) =>
  z.strictObject(Object.fromEntries(incidentSeverities.map((severity) => [severity, value])) as Record<(typeof incidentSeverities)[number], T>);

const triageRuleSchema = z.strictObject({
  id: z.string().min(1),
  description: z.string().min(1),
  tier: z.enum(riskTiers),
  when: z
    .strictObject({
      useCategoryIn: z.array(z.enum(useCategories)).min(1).optional(),
      impactAreasAny: z.array(z.enum(impactAreas)).min(1).optional(),
      dataCategoriesAny: z.array(z.enum(dataCategories)).min(1).optional(),
      decisionRoleIn: z.array(z.enum(decisionRoles)).min(1).optional(),
      humanOversightIn: z.array(z.enum(humanOversightModes)).min(1).optional(),
    })
    .refine((when) => Object.keys(when).length > 0, 'a rule needs at least one condition'),
});
export type TriageRule = z.output<typeof triageRuleSchema>;

/** Who acts at one level of an escalation ladder once the previous deadline passed. */
const escalationLevelSchema = z.strictObject({
  action: z.enum(['notify', 'add', 'reassign']),
  target: z.union([z.literal('manager'), z.enum(roles)]),
  window: durationSchema,
});
export type EscalationLevel = z.output<typeof escalationLevelSchema>;

/** One step of an approval chain: who decides (a role resolved when the step opens) and how many must agree. */
const approvalStepSchema = z.strictObject({
  role: z.enum(roles),
  rule: approvalRuleSchema.default({ type: 'any' }),
});
export type ApprovalStep = z.output<typeof approvalStepSchema>;
const approvalChainSchema = z.array(approvalStepSchema).min(1).max(5);

const taskPolicySchema = z.strictObject({
  /** Sequential chain: step n+1 opens only once step n approves. */
  steps: approvalChainSchema,
  /** A different chain for some tiers, e.g. high tier adds an executive. */
  stepsByTier: z.partialRecord(z.enum(riskTiers), approvalChainSchema).default({}),
  /** Applies to each step of the chain anew. */
  slaByTier: tierMap(durationSchema),
  /** Fractions of the SLA at which assignees are reminded. */
  reminderPoints: z.array(z.number().gt(0).lt(1)).max(5).default([]),
  escalationLadder: z.array(escalationLevelSchema).max(6).default([]),
  /** Roles besides each step's own that may stand in for a seat, by delegation or out of office. */
  delegateRoles: z.array(z.enum(roles)).max(roles.length).default([]),
  /** What happens when no ladder level is left. Approval is never an option. */
  timeoutOutcomeByTier: tierMap(z.enum(['expire', 'reject'])),
});
export type TaskPolicy = z.output<typeof taskPolicySchema>;

export function approvalChainFor(policy: TaskPolicy, tier: RiskTier): ApprovalStep[] {
  return policy.stepsByTier[tier] ?? policy.steps;
}

/** The roles the ladder brings into a task: a governance lead may also reassign a seat to one of them. */
export const escalationRoles = (policy: TaskPolicy): Role[] => policy.escalationLadder.flatMap((level) => (level.target === 'manager' ? [] : [level.target]));

const day = 86_400_000;
/** Regulation (EU) 2024/1689, Art. 73(2)-(4). */
const art73Deadlines = { general: 15 * day, death: 10 * day, widespreadOrCriticalInfrastructure: 2 * day };
/** Art. 73(2)'s "immediately" once a causal link is established, as a working day to report in. */
const immediately = day;

export const policySchema = z.strictObject({
  name: z.string().min(1),
  triage: z.strictObject({
    rules: z.array(triageRuleSchema).min(1),
    defaultTier: z.enum(riskTiers),
  }),
  intake: z.strictObject({ maxRevisionRounds: z.number().int().min(0).max(10) }),
  /** When each part of the EU AI Act applies (Art. 113); the Regulation's own dates unless an amendment moves them. */
  aiAct: z
    .strictObject({
      applicationDates: z.strictObject({
        prohibitions: z.iso.date(),
        generalPurposeModels: z.iso.date(),
        general: z.iso.date(),
        annexIProducts: z.iso.date(),
      }),
    })
    .optional(),
  /** The longest out-of-office delegation one may set: a seat is not handed away indefinitely. */
  outOfOffice: z.strictObject({ maxLength: durationSchema }).default({ maxLength: 90 * day }),
  /** Impact assessment (ISO/IEC 42005): which tiers need one, and which specialists review it, in parallel. */
  assessment: z.strictObject({
    requiredForTiers: z.array(z.enum(riskTiers)).max(riskTiers.length),
    reviewersByTier: tierMap(z.array(z.enum(roles)).min(1).max(6)),
    maxRevisionRounds: z.number().int().min(0).max(10),
  }),
  /** Risk treatment sign-off (ISO/IEC 23894): the chain that signs a plan off, by its residual risk. */
  riskTreatment: z.strictObject({
    requiredForTiers: z.array(z.enum(riskTiers)).max(riskTiers.length),
    signoffByResidual: z.strictObject({ low: approvalChainSchema, medium: approvalChainSchema, high: approvalChainSchema }),
    maxRevisionRounds: z.number().int().min(0).max(10),
    /** How long before an accepted risk's acceptance expires its re-acceptance task opens. */
    reacceptanceNotice: durationSchema,
    /** How far a re-acceptance extends the acceptance. */
    reacceptanceTerm: durationSchema,
  }),
  /** Periodic review: one Temporal Schedule per active system. */
  review: z.strictObject({
    /** How long an active system runs between periodic reviews. */
    intervalByTier: tierMap(durationSchema),
    /** A review missed while the scheduler was down still starts if it is at most this late. */
    catchupWindow: durationSchema,
    /** How often each governance lead gets the digest of overdue reviews and tasks. */
    digestEvery: durationSchema,
  }),
  /** Incident escalation: each stage's SLA and the ladder beyond it, by severity. */
  incident: z.strictObject({
    slaBySeverity: severityMap(z.strictObject({ acknowledge: durationSchema, contain: durationSchema, resolve: durationSchema })),
    ladderBySeverity: severityMap(z.array(escalationLevelSchema).max(6)),
    /** The regulatory reporting clock of a serious incident, from when it became known (processes started before `seriousReportDeadlines`). */
    seriousReportWithin: durationSchema,
    /** EU AI Act Art. 73(2)-(4): 15 days in general, 10 after a death, 2 for a widespread infringement or critical infrastructure. */
    seriousReportDeadlines: z
      .strictObject({
        general: durationSchema,
        death: durationSchema,
        widespreadOrCriticalInfrastructure: durationSchema,
        onceCausalLinkEstablished: durationSchema.default(immediately),
      })
      .default({ ...art73Deadlines, onceCausalLinkEstablished: immediately })
      .refine(
        (deadlines) => Object.entries(art73Deadlines).every(([clock, most]) => deadlines[clock as keyof typeof art73Deadlines] <= most),
        'a policy may shorten the Art. 73 deadlines (15, 10 and 2 days), never lengthen them',
      ),
  }),
  tasks: z
    .record(z.enum(taskKindNames), taskPolicySchema)
    .refine((tasks) => taskKindNames.every((kind) => kind in tasks), `a policy sets every task kind: ${taskKindNames.join(', ')}`),
});
export type PolicyInput = z.input<typeof policySchema>;
export type Policy = z.output<typeof policySchema> & {
  version: string;
  /**
   * Hex Ed25519 public key that people's commands to the processes started under this policy are
   * verified with. Not a rule of the organisation: it rides with the policy because the policy is what
   * every process, child and scheduled run is started with.
   */
  commandKey?: string;
};

/**
 * The organisation's own risk appetite: how much process a system gets. What the law makes of a system
 * is its EU AI Act classification (domain/aiActClassification.ts), which sets floors under this tier.
 */
export const defaultTriageRules: PolicyInput['triage']['rules'] = [
  {
    id: 'sensitive-area',
    description: 'Used in employment, lending, healthcare, public services or safety',
    tier: 'high',
    when: { impactAreasAny: ['employment', 'lending', 'healthcare', 'public_service', 'safety'] },
  },
  {
    id: 'special-category-data',
    description: 'Processes special category personal data',
    tier: 'high',
    when: { dataCategoriesAny: ['special_category'] },
  },
  {
    id: 'automated-decision-on-people',
    description: 'Takes automated decisions using personal data',
    tier: 'medium',
    when: { decisionRoleIn: ['automated_decision'], dataCategoriesAny: ['personal'] },
  },
  {
    id: 'interacts-with-people',
    description: 'Interacts with customers or generates content for them',
    tier: 'medium',
    when: { useCategoryIn: ['generative_assistant', 'customer_service'] },
  },
];

const standardTimeoutOutcome = { low: 'expire', medium: 'expire', high: 'reject', prohibited: 'reject' } as const;
/** Work that must get done: running out of time never settles it, the process hands it on instead. */
const allExpire = { low: 'expire', medium: 'expire', high: 'expire', prohibited: 'expire' } as const;

/** An owner's document (an assessment, a plan): weeks to write, reminders, then their manager and the leads told. */
const ownerSubmission = {
  steps: [{ role: 'system_owner' }],
  slaByTier: { low: '30d', medium: '21d', high: '14d', prohibited: '14d' },
  reminderPoints: [0.5, 0.9],
  escalationLadder: [
    { action: 'notify', target: 'manager', window: '7d' },
    { action: 'notify', target: 'governance_lead', window: '7d' },
  ],
  timeoutOutcomeByTier: allExpire,
} satisfies PolicyInput['tasks'][TaskKind];

/** A stage of an incident the owner works through; its SLA and ladder come from the incident's severity. */
const incidentStage = {
  steps: [{ role: 'system_owner' }],
  slaByTier: { low: '1d', medium: '1d', high: '1d', prohibited: '1d' },
  reminderPoints: [0.5],
  escalationLadder: [],
  timeoutOutcomeByTier: allExpire,
} satisfies PolicyInput['tasks'][TaskKind];

/** An item of the retirement checklist: a couple of weeks, then the holder's manager and the leads. */
const checklistWork = {
  slaByTier: { low: '14d', medium: '14d', high: '10d', prohibited: '10d' },
  reminderPoints: [0.5, 0.9],
  escalationLadder: [
    { action: 'notify', target: 'manager', window: '3d' },
    { action: 'add', target: 'governance_lead', window: '4d' },
  ],
  timeoutOutcomeByTier: allExpire,
} satisfies Omit<PolicyInput['tasks'][TaskKind], 'steps'>;

/** A specialist's decision on a document: days, then their manager told and a governance lead added. */
const specialistDecision = {
  slaByTier: { low: '10d', medium: '7d', high: '5d', prohibited: '5d' },
  reminderPoints: [0.5, 0.9],
  escalationLadder: [
    { action: 'notify', target: 'manager', window: '2d' },
    { action: 'add', target: 'governance_lead', window: '3d' },
  ],
  timeoutOutcomeByTier: standardTimeoutOutcome,
} satisfies Omit<PolicyInput['tasks'][TaskKind], 'steps'>;

/** The shipped policy: real-world durations. */
export const defaultPolicy: PolicyInput = {
  name: 'default',
  triage: { rules: defaultTriageRules, defaultTier: 'low' },
  intake: { maxRevisionRounds: 3 },
  assessment: {
    requiredForTiers: ['low', 'medium', 'high', 'prohibited'],
    reviewersByTier: {
      low: ['risk_officer'],
      medium: ['privacy_officer', 'risk_officer'],
      high: ['privacy_officer', 'legal_counsel', 'security_officer', 'risk_officer'],
      prohibited: ['privacy_officer', 'legal_counsel', 'security_officer', 'risk_officer'],
    },
    maxRevisionRounds: 3,
  },
  riskTreatment: {
    requiredForTiers: ['low', 'medium', 'high', 'prohibited'],
    signoffByResidual: {
      low: [{ role: 'risk_officer' }],
      medium: [{ role: 'risk_officer' }],
      high: [{ role: 'risk_officer' }, { role: 'executive' }],
    },
    maxRevisionRounds: 3,
    reacceptanceNotice: '30d',
    reacceptanceTerm: '365d',
  },
  review: {
    intervalByTier: { low: '730d', medium: '365d', high: '182d', prohibited: '182d' },
    catchupWindow: '7d',
    digestEvery: '7d',
  },
  incident: {
    slaBySeverity: {
      low: { acknowledge: '3d', contain: '10d', resolve: '30d' },
      medium: { acknowledge: '1d', contain: '3d', resolve: '14d' },
      high: { acknowledge: '4h', contain: '1d', resolve: '7d' },
      critical: { acknowledge: '1h', contain: '4h', resolve: '3d' },
    },
    ladderBySeverity: {
      low: [
        { action: 'notify', target: 'manager', window: '2d' },
        { action: 'add', target: 'governance_lead', window: '3d' },
      ],
      medium: [
        { action: 'notify', target: 'manager', window: '1d' },
        { action: 'add', target: 'governance_lead', window: '1d' },
      ],
      high: [
        { action: 'add', target: 'governance_lead', window: '4h' },
        { action: 'add', target: 'executive', window: '8h' },
      ],
      // The most severe reach an executive within the hour after a missed deadline.
      critical: [
        { action: 'add', target: 'executive', window: '1h' },
        { action: 'add', target: 'governance_lead', window: '1h' },
      ],
    },
    // EU AI Act Art. 73(2): no later than 15 days after becoming aware of a serious incident.
    seriousReportWithin: '15d',
    seriousReportDeadlines: { general: '15d', death: '10d', widespreadOrCriticalInfrastructure: '2d' },
  },
  tasks: {
    intake_triage: {
      steps: [{ role: 'governance_lead' }],
      slaByTier: { low: '5d', medium: '3d', high: '2d', prohibited: '1d' },
      reminderPoints: [0.5, 0.9],
      escalationLadder: [
        { action: 'notify', target: 'manager', window: '1d' },
        { action: 'add', target: 'executive', window: '2d' },
      ],
      timeoutOutcomeByTier: standardTimeoutOutcome,
    },
    intake_revision: {
      steps: [{ role: 'system_owner' }],
      slaByTier: { low: '14d', medium: '10d', high: '7d', prohibited: '7d' },
      reminderPoints: [0.5, 0.9],
      escalationLadder: [{ action: 'notify', target: 'manager', window: '3d' }],
      timeoutOutcomeByTier: allExpire,
    },
    impact_assessment: ownerSubmission,
    // The reviewer role of each parallel review comes from assessment.reviewersByTier.
    impact_review: { ...specialistDecision, steps: [{ role: 'risk_officer' }] },
    risk_treatment_plan: ownerSubmission,
    // The chain comes from riskTreatment.signoffByResidual.
    risk_signoff: { ...specialistDecision, steps: [{ role: 'risk_officer' }] },
    // The chain comes from riskTreatment.signoffByResidual for the risk's residual rating.
    risk_reacceptance: { ...specialistDecision, steps: [{ role: 'risk_officer' }] },
    review_attestation: {
      ...ownerSubmission,
      slaByTier: { low: '30d', medium: '21d', high: '14d', prohibited: '14d' },
      // An overdue review goes to the owner's manager, then to the governance leads.
      escalationLadder: [
        { action: 'notify', target: 'manager', window: '7d' },
        { action: 'add', target: 'governance_lead', window: '7d' },
      ],
    },
    // The SLA and the ladder of the incident stages come from incident.slaBySeverity and ladderBySeverity.
    incident_acknowledgement: incidentStage,
    incident_containment: incidentStage,
    incident_resolution: incidentStage,
    incident_closure: { ...specialistDecision, steps: [{ role: 'governance_lead' }] },
    incident_regulatory_report: {
      steps: [{ role: 'legal_counsel' }],
      // The SLA comes from incident.seriousReportWithin.
      slaByTier: { low: '15d', medium: '15d', high: '15d', prohibited: '15d' },
      reminderPoints: [0.5, 0.8, 0.95],
      escalationLadder: [
        { action: 'add', target: 'governance_lead', window: '1d' },
        { action: 'add', target: 'executive', window: '1d' },
      ],
      timeoutOutcomeByTier: allExpire,
    },
    retirement_approval: {
      ...specialistDecision,
      steps: [{ role: 'governance_lead' }],
      stepsByTier: { high: [{ role: 'governance_lead' }, { role: 'executive' }], prohibited: [{ role: 'governance_lead' }, { role: 'executive' }] },
    },
    retirement_data_disposal: { ...checklistWork, steps: [{ role: 'privacy_officer' }] },
    retirement_access_revocation: { ...checklistWork, steps: [{ role: 'security_officer' }] },
    retirement_user_notice: { ...checklistWork, steps: [{ role: 'system_owner' }] },
    retirement_archive: { ...checklistWork, steps: [{ role: 'governance_lead' }] },
    retirement_signoff: { ...specialistDecision, steps: [{ role: 'governance_lead' }] },
  },
};

/** Stable JSON: object keys sorted, so equal values always serialise to the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
