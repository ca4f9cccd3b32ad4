import { aiActAnswersInTodaysTerms } from './aiAct';
import { aiActApplicationDates, classifyUnderAiAct, tierFloor, type AiActClassification } from './aiActClassification';
import type { Policy, TriageRule } from './policy';
import { isHigherTier, type IntakeRequest, type RiskTier } from './system';

export interface TriageResult {
  tier: RiskTier;
  /** The id of the rule that fired, "default" when none did, or `eu-ai-act:<flag>` when the classification's floor set the tier. */
  ruleId: string;
  reason: string;
  /** The tier the organisation's rules gave, when the classification's floor raised it. */
  organisationalTier?: RiskTier;
  /** The EU AI Act classification, when the intake answers its questions. */
  aiAct?: AiActClassification;
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

/**
 * The tier of an intake under the organisation's rules and the law: the rules' tier, raised to the
 * floor the EU AI Act classification sets (prohibited cannot proceed, high-risk is at least high).
 */
export function triageUnderPolicyAndLaw(intake: IntakeRequest, policy: Pick<Policy, 'triage' | 'aiAct'>): TriageResult {
  const organisational = triageIntake(intake, policy.triage);
  if (!intake.euAiAct) return organisational;
  const aiAct = classifyUnderAiAct(aiActAnswersInTodaysTerms.parse(intake.euAiAct), intake, policy.aiAct?.applicationDates ?? aiActApplicationDates);
  const floor = tierFloor(aiAct);
  if (!floor || !isHigherTier(floor, organisational.tier)) return { ...organisational, aiAct };
  const setBy = aiAct.flags.find((flag) => flag.kind === (floor === 'prohibited' ? 'prohibited' : 'high_risk'))!;
  return { tier: floor, ruleId: `eu-ai-act:${setBy.code}`, reason: `${setBy.title} (${setBy.citation})`, organisationalTier: organisational.tier, aiAct };
}

/**
 * The triage of a system in service, revised by its owner: the tier rises with the new answers but does
 * not fall by them, since a lower tier weakens every control on the system and takes two governance
 * leads (PUT /systems/:id/tier). The reason says which tier the revision alone would have given.
 */
export function triageInService(current: RiskTier | null, revised: TriageResult): TriageResult {
  if (current === null || !isHigherTier(current, revised.tier)) return revised;
  return {
    ...revised,
    tier: current,
    reason: `${revised.reason}; the revision alone gives '${revised.tier}', and the tier stays '${current}' until two governance leads lower it`,
  };
}

/** What a review's revised intake came to: its version, the tier the system now has, and whether it is a prohibited practice. */
export interface IntakeRevisedAtReview {
  version: number;
  tier: RiskTier;
  ruleId: string;
  reason: string;
  prohibited: boolean;
}
