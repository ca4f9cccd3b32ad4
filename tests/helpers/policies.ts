import { defaultPolicy, type PolicyInput } from '../../domain/policy';

const quiet = { low: '1h', medium: '1h', high: '1h', prohibited: '1h' } as const;
const calmStages = { acknowledge: '1h', contain: '1h', resolve: '1h' } as const;
type TriagePolicy = PolicyInput['tasks']['intake_triage'];

/** The shipped policy with deadlines far enough away that no reminder or escalation interferes. */
export const calmPolicy: PolicyInput = {
  ...defaultPolicy,
  name: 'test-calm',
  incident: {
    ...defaultPolicy.incident,
    slaBySeverity: { low: calmStages, medium: calmStages, high: calmStages, critical: calmStages },
    seriousReportWithin: '1h',
  },
  tasks: Object.fromEntries(Object.entries(defaultPolicy.tasks).map(([kind, task]) => [kind, { ...task, slaByTier: quiet }])) as PolicyInput['tasks'],
};

/** The calm policy with the triage task changed, e.g. to another approval chain. */
export const withTriage = (triage: Partial<TriagePolicy>): PolicyInput => ({
  ...calmPolicy,
  tasks: { ...calmPolicy.tasks, intake_triage: { ...calmPolicy.tasks.intake_triage, ...triage } },
});

/** Triage of a low-tier system due in 4 s, a reminder at 2 s, then two escalation levels of 3 s each. */
export const hastyTriagePolicy: PolicyInput = withTriage({
  steps: [{ role: 'governance_lead' }],
  slaByTier: { low: '4s', medium: '4s', high: '4s', prohibited: '4s' },
  reminderPoints: [0.5],
  escalationLadder: [
    { action: 'notify', target: 'manager', window: '3s' },
    { action: 'add', target: 'executive', window: '3s' },
  ],
  timeoutOutcomeByTier: { low: 'expire', medium: 'expire', high: 'reject', prohibited: 'reject' },
});

/** The calm policy where no tier needs an impact assessment: accepted systems go straight to risk treatment. */
export const noAssessmentPolicy: PolicyInput = { ...calmPolicy, assessment: { ...calmPolicy.assessment, requiredForTiers: [] } };

/** No assessment and no risk sign-off: an accepted system goes straight into service. */
export const triageOnlyPolicy: PolicyInput = { ...noAssessmentPolicy, riskTreatment: { ...calmPolicy.riskTreatment, requiredForTiers: [] } };

/**
 * Triage only, with the review of a low-tier system every `every` and a hasty attestation: due in 3 s,
 * then the owner's manager told and the governance leads added, 2 s each.
 */
export const reviewPolicy = (every: string, base: PolicyInput = triageOnlyPolicy): PolicyInput => ({
  ...base,
  review: { ...base.review, intervalByTier: { ...base.review.intervalByTier, low: every }, catchupWindow: '1m' },
  tasks: {
    ...base.tasks,
    review_attestation: {
      ...base.tasks.review_attestation,
      slaByTier: { low: '3s', medium: '3s', high: '3s', prohibited: '3s' },
      reminderPoints: [],
      escalationLadder: [
        { action: 'notify', target: 'manager', window: '2s' },
        { action: 'add', target: 'governance_lead', window: '2s' },
      ],
    },
  },
});
