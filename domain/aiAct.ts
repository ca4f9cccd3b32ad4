import { z } from 'zod';
import { oneOf, text } from './fields';

/**
 * The intake's questions for the EU AI Act (Regulation (EU) 2024/1689), each asked once: the
 * biometric questions answer Art. 5(1)(f)-(h) and Annex III point 1 together, the other Annex III
 * points are picked from their list with the carve-outs each has. A question a form shows only when
 * an earlier answer makes it relevant has a default that means "does not apply".
 */

/** Art. 3(3)-(8), Art. 25: who the organisation is for this system; it may be more than one. */
export const aiActRoles = ['provider', 'deployer', 'importer', 'distributor', 'product_manufacturer'] as const;
export type AiActRole = (typeof aiActRoles)[number];

/** Art. 25(1)(a)-(c): what makes a deployer, importer or distributor the provider of a high-risk system. */
export const providerTriggers = ['own_name_or_trademark', 'substantial_modification', 'changed_purpose_to_high_risk'] as const;

/** Art. 2(1): what ties the system to the Union. None of them: the Act does not apply. */
export const euNexus = ['placed_on_eu_market', 'put_into_service_in_eu', 'deployer_in_eu', 'output_used_in_eu'] as const;

/**
 * Art. 2(3), (4), (6), (8), (12): uses the Act does not apply to. (Art. 2(10), a natural person's
 * personal use, is never an organisation's.)
 */
export const scopeExclusions = [
  'military_defence_national_security',
  'third_country_authority_cooperation',
  'scientific_research_only',
  'research_before_market',
  'free_open_source',
] as const;
export type ScopeExclusion = (typeof scopeExclusions)[number];

/** Art. 5(1)(a)-(e): the prohibited practices that are not biometric (those are asked under biometrics). */
export const prohibitedPractices = [
  'subliminal_or_manipulative',
  'exploits_vulnerabilities',
  'social_scoring',
  'crime_risk_by_profiling',
  'untargeted_facial_scraping',
] as const;
export type ProhibitedPractice = (typeof prohibitedPractices)[number];

/** Art. 5(1)(d), second half: a crime risk assessment that only supports a human one resting on objective, verifiable facts. */
export const practiceExceptions = ['supports_human_assessment_on_facts'] as const;

/** Art. 5(1)(h)(i)-(iii): the purposes for which real-time remote identification by the police may be authorised. */
export const realTimeIdentificationExceptions = ['targeted_victim_search', 'imminent_threat_to_life_or_terror', 'suspect_of_serious_crime'] as const;

export const biometricsSchema = z.strictObject({
  /** Annex III 1(a) and its carve-out (1:1 verification); Art. 5(1)(h) for real time in public spaces by the police; Art. 26(10) for post identification by it. */
  identification: oneOf(['none', 'verification_only', 'real_time_remote', 'post_remote'] as const).default('none'),
  forLawEnforcement: z.boolean().default(false),
  inPubliclyAccessibleSpaces: z.boolean().default(false),
  lawEnforcementException: oneOf(['none', ...realTimeIdentificationExceptions] as const).default('none'),
  /**
   * Art. 5(3): each use authorised in advance by a judicial or independent administrative authority,
   * or, in duly justified urgency, its authorisation requested within 24 hours.
   */
  authorisation: oneOf(['none', 'prior', 'urgent_requested_within_24h'] as const).default('none'),
  /** Art. 5(1)(g) for race, political opinions, union membership, beliefs, sex life or orientation; Annex III 1(b) for other protected attributes. */
  categorisation: oneOf(['none', 'sensitive_beliefs_or_orientation', 'other_protected_attributes'] as const).default('none'),
  /** Art. 5(1)(g), last sentence: labelling or filtering lawfully acquired biometric datasets, also in law enforcement. */
  categorisationException: oneOf(['none', 'labelling_lawful_datasets'] as const).default('none'),
  /** Art. 5(1)(f) at work or school; Annex III 1(c) elsewhere. */
  emotionRecognition: oneOf(['none', 'workplace', 'education', 'elsewhere'] as const).default('none'),
  emotionForMedicalOrSafetyReasons: z.boolean().default(false),
});

/** Annex III points 2 to 8 (point 1 comes from the biometric answers). */
export const annexIIIPoints = [
  '2',
  '3a',
  '3b',
  '3c',
  '3d',
  '4a',
  '4b',
  '5a',
  '5b',
  '5c',
  '5d',
  '6a',
  '6b',
  '6c',
  '6d',
  '6e',
  '7a',
  '7b',
  '7c',
  '7d',
  '8a',
  '8b',
] as const;
/** Annex III point 1, which the biometric answers reach. */
const biometricAnnexIIIPoints = ['1a', '1b', '1c'] as const;
export type AnnexIIIPoint = (typeof annexIIIPoints)[number] | (typeof biometricAnnexIIIPoints)[number];

/** The carve-outs inside Annex III points: fraud detection (5(b)), travel document checks (7(d)), campaign logistics (8(b)). */
export const annexIIICarveOuts = ['5b_financial_fraud_detection', '7d_travel_document_verification', '8b_campaign_logistics_not_exposed'] as const;

/** Art. 6(3)(a)-(d): the conditions under which an Annex III system is not high-risk. */
export const art6_3Conditions = [
  'narrow_procedural_task',
  'improves_completed_human_activity',
  'detects_patterns_with_human_review',
  'preparatory_task',
] as const;

export const affectedGroups = ['children', 'vulnerable_groups', 'workers', 'general_public'] as const;
/** Art. 27(1): deployers that owe a fundamental-rights impact assessment (banks and insurers owe one through Annex III 5(b)-(c)). */
export const deployerKinds = ['public_authority', 'public_service_provider'] as const;
/** Art. 50(1)-(4). */
export const transparencyCases = ['interacts_directly', 'generates_synthetic_content', 'deepfake', 'public_interest_text'] as const;
/** Art. 3(63), Art. 51-55: the system builds on a general-purpose AI model, or the organisation provides one. */
export const generalPurposeModelUse = ['none', 'builds_on', 'provides', 'provides_with_systemic_risk'] as const;

export const euMemberStates = [
  'AT',
  'BE',
  'BG',
  'HR',
  'CY',
  'CZ',
  'DK',
  'EE',
  'FI',
  'FR',
  'DE',
  'GR',
  'HU',
  'IE',
  'IT',
  'LV',
  'LT',
  'LU',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SK',
  'SI',
  'ES',
  'SE',
] as const;

const codes = <T extends readonly [string, ...string[]]>(values: T) => z.array(oneOf(values)).max(values.length).default([]);

export const aiActAnswersSchema = z.strictObject({
  roles: z.array(oneOf(aiActRoles)).min(1, 'name the organisation’s role for this system').max(aiActRoles.length),
  providerTriggers: codes(providerTriggers),
  euNexus: codes(euNexus),
  exclusions: codes(scopeExclusions),
  prohibitedPractices: codes(prohibitedPractices),
  practiceExceptions: codes(practiceExceptions),
  biometrics: biometricsSchema.default(biometricsSchema.parse({})),
  /** Art. 6(1): a safety component of a product under the Annex I legislation, or such a product, that needs a third-party conformity assessment. */
  annexISafetyComponent: z.boolean().default(false),
  annexIThirdPartyAssessment: z.boolean().default(false),
  annexIII: codes(annexIIIPoints),
  annexIIICarveOuts: codes(annexIIICarveOuts),
  /** Art. 6(3): a claim per Annex III point that the system is not high-risk there, with the condition it meets. */
  art6_3Claims: z
    .array(
      z.strictObject({ point: oneOf([...biometricAnnexIIIPoints, ...annexIIIPoints] as const), condition: oneOf(art6_3Conditions), rationale: text(4000) }),
    )
    .max(biometricAnnexIIIPoints.length + annexIIIPoints.length)
    .default([]),
  profilesPeople: z.boolean().default(false),
  affectedGroups: codes(affectedGroups),
  legalOrSimilarlySignificantEffects: z.boolean().default(false),
  deployerKinds: codes(deployerKinds),
  transparency: codes(transparencyCases),
  /** Art. 50(4): AI-generated text on matters of public interest that a person reviewed and answers for editorially. */
  publicInterestTextUnderEditorialControl: z.boolean().default(false),
  generalPurposeModel: oneOf(generalPurposeModelUse).default('none'),
  memberStates: codes(euMemberStates),
});
export type AiActAnswers = z.output<typeof aiActAnswersSchema>;
export type AiActAnswersInput = z.input<typeof aiActAnswersSchema>;

type Given = Record<string, unknown>;
const given = (value: unknown): Given => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Given) : {});
const listOf = (value: unknown) => (Array.isArray(value) ? value : []);

/**
 * Answers given to the first version of the questions (rules `eu-ai-act-2024-1689/1`, in intakes of
 * 2026-12-03) in today's terms, so that those intakes classify, and replay, under today's rules: the
 * police-in-public-spaces answer split in two, the yes/no authorisation, one Art. 6(3) claim for every
 * point, and the options since removed. Today's answers pass through unchanged.
 */
function firstVersionInTodaysTerms(raw: unknown): unknown {
  const answers = given(raw);
  const { publicSpacesForLawEnforcement, priorAuthorisation, ...biometrics } = given(answers.biometrics);
  const { art6_3Claim, ...rest } = answers;
  if (art6_3Claim === undefined && publicSpacesForLawEnforcement === undefined && priorAuthorisation === undefined) return raw;
  const claimedPoints = [...listOf(answers.annexIII), ...biometricAnnexIIIPoints];
  return {
    ...rest,
    exclusions: listOf(answers.exclusions).filter((exclusion) => exclusion !== 'personal_non_professional'),
    deployerKinds: listOf(answers.deployerKinds).filter((kind) => kind !== 'credit_institution' && kind !== 'insurer'),
    biometrics: {
      ...biometrics,
      categorisationException: biometrics.categorisationException === 'law_enforcement' ? 'none' : biometrics.categorisationException,
      forLawEnforcement: biometrics.forLawEnforcement ?? publicSpacesForLawEnforcement ?? false,
      inPubliclyAccessibleSpaces: biometrics.inPubliclyAccessibleSpaces ?? publicSpacesForLawEnforcement ?? false,
      authorisation: biometrics.authorisation ?? (priorAuthorisation === true ? 'prior' : 'none'),
    },
    art6_3Claims: art6_3Claim ? claimedPoints.map((point) => ({ point, ...given(art6_3Claim) })) : (answers.art6_3Claims ?? []),
  };
}

/** The answers as the intake takes them, the first version's too. */
export const aiActAnswersInTodaysTerms = z.preprocess(firstVersionInTodaysTerms, aiActAnswersSchema);
