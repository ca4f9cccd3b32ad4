import { z } from 'zod';
import { aiActAnswersInTodaysTerms } from './aiAct';
import { line, oneOf, text } from './fields';

export const provenances = ['in_house', 'vendor', 'embedded_third_party'] as const;
export const useCategories = [
  'generative_assistant',
  'customer_service',
  'scoring_forecasting_fraud',
  'hr_hiring',
  'vision_monitoring',
  'analytics',
  'other',
] as const;
export const impactAreas = ['employment', 'lending', 'pricing', 'healthcare', 'customer_interaction', 'public_service', 'safety'] as const;
export const dataCategories = ['personal', 'special_category'] as const;
export const decisionRoles = ['informational', 'decision_support', 'automated_decision'] as const;
export const humanOversightModes = ['in_the_loop', 'on_the_loop', 'none'] as const;
export const riskTiers = ['low', 'medium', 'high', 'prohibited'] as const;
export type RiskTier = (typeof riskTiers)[number];

/** Whether `tier` asks for more than `than`: the order of riskTiers, low to prohibited. */
export const isHigherTier = (tier: RiskTier, than: RiskTier) => riskTiers.indexOf(tier) > riskTiers.indexOf(than);

/** What a system owner files when registering an AI system (DESIGN.md §4). */
export const intakeRequestSchema = z.strictObject({
  name: line(200),
  purpose: text(4000),
  businessUnit: line(200),
  provenance: oneOf(provenances),
  vendor: line(200).optional(),
  useCategory: oneOf(useCategories),
  impactAreas: z.array(oneOf(impactAreas)).max(impactAreas.length).default([]),
  dataCategories: z.array(oneOf(dataCategories)).max(dataCategories.length).default([]),
  decisionRole: oneOf(decisionRoles),
  humanOversight: oneOf(humanOversightModes),
  affectedParties: z.array(line(200)).min(1, 'name at least one affected party').max(50),
  /** The answers the EU AI Act classification rests on (domain/aiActClassification.ts); without them the system is not classified. */
  euAiAct: aiActAnswersInTodaysTerms.optional(),
});
export type IntakeRequest = z.output<typeof intakeRequestSchema>;
export type IntakeRequestInput = z.input<typeof intakeRequestSchema>;
