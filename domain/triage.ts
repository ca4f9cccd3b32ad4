import type { Policy, TriageRule } from './policy';
import type { IntakeRequest, RiskTier } from './system';

export interface TriageResult {
  tier: RiskTier;
  /** The id of the rule that fired, or "default" when none did. */
  ruleId: string;
  reason: string;
}

const overlaps = <T>(wanted: readonly T[] | undefined, actual: readonly T[]) => wanted === undefined || wanted.some((item) => actual.includes(item));
const isOneOf = <T>(wanted: readonly T[] | undefined, actual: T) => wanted === undefined || wanted.includes(actual);

function ruleMatches({ when }: TriageRule, intake: IntakeRequest): boolean {
  return (
    isOneOf(when.useCategoryIn, intake.useCategory) &&
    overlaps(when.impactAreasAny, intake.impactAreas) &&
    overlaps(when.dataCategoriesAny, intake.dataCategories) &&
    isOneOf(when.decisionRoleIn, intake.decisionRole) &&
    isOneOf(when.humanOversightIn, intake.humanOversight)
  );
}

/** The risk tier of an intake: the first matching rule in policy order wins. */
export function triageIntake(intake: IntakeRequest, triage: Policy['triage']): TriageResult {
  const rule = triage.rules.find((candidate) => ruleMatches(candidate, intake));
  if (!rule) return { tier: triage.defaultTier, ruleId: 'default', reason: 'no triage rule matched' };
  return { tier: rule.tier, ruleId: rule.id, reason: rule.description };
}
