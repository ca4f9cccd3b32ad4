import { describe, expect, it } from 'vitest';
import { aiActAnswersSchema, annexIIIPoints } from '../../domain/aiAct';
import { classifyUnderAiAct, tierFloor, type AiActFlagKind } from '../../domain/aiActClassification';
import type { IntakeRequest } from '../../domain/system';

type IntakeContext = Pick<IntakeRequest, 'useCategory' | 'impactAreas' | 'decisionRole'>;
const analytics: IntakeContext = { useCategory: 'analytics', impactAreas: [], decisionRole: 'decision_support' };

/** Answers as a form sends them, checked by the intake's schema (an unknown question or answer fails the case). */
type Answers = Readonly<Record<string, unknown>>;

/** A deployer in the Union unless the case says otherwise. */
function classify(answers: Answers, intake: Partial<IntakeContext> = {}) {
  const parsed = aiActAnswersSchema.parse({ roles: ['deployer'], euNexus: ['deployer_in_eu'], ...answers });
  return classifyUnderAiAct(parsed, { ...analytics, ...intake });
}

const codesOf = (answers: Answers, kind: AiActFlagKind, intake?: Partial<IntakeContext>) =>
  classify(answers, intake)
    .flags.filter((flag) => flag.kind === kind)
    .map((flag) => flag.code);

describe('Art. 5: each prohibited practice, and its exception', () => {
  it.each([
    ['subliminal_or_manipulative', 'art5_1_a'],
    ['exploits_vulnerabilities', 'art5_1_b'],
    ['social_scoring', 'art5_1_c'],
    ['crime_risk_by_profiling', 'art5_1_d'],
    ['untargeted_facial_scraping', 'art5_1_e'],
  ] as const)('%s is prohibited (%s), from 2 February 2025', (practice, code) => {
    const classification = classify({ prohibitedPractices: [practice] });
    expect(classification.prohibited).toBe(true);
    expect(classification.flags).toContainEqual(
      expect.objectContaining({ kind: 'prohibited', code, appliesFrom: '2025-02-02', restsOn: [`prohibitedPractices: ${practice}`] }),
    );
    expect(classification.flags.find((flag) => flag.code === code)!.citation).toMatch(/^Regulation \(EU\) 2024\/1689, Art\. 5\(1\)\([a-e]\)$/);
  });

  it('a crime risk assessment that supports a human one on objective facts is not prohibited (Art. 5(1)(d))', () => {
    expect(classify({ prohibitedPractices: ['crime_risk_by_profiling'], practiceExceptions: ['supports_human_assessment_on_facts'] }).prohibited).toBe(false);
  });

  it.each(['workplace', 'education'] as const)('emotion recognition in the %s is prohibited (Art. 5(1)(f))', (setting) => {
    expect(codesOf({ biometrics: { emotionRecognition: setting } }, 'prohibited')).toEqual(['art5_1_f']);
    // Prohibited outright: not also a high-risk system with a deployer's duties.
    expect(codesOf({ biometrics: { emotionRecognition: setting } }, 'high_risk')).toEqual([]);
    expect(codesOf({ biometrics: { emotionRecognition: setting } }, 'deployer_duty')).toEqual([]);
  });

  it('emotion recognition at work for safety reasons is high-risk instead, and the people exposed are told (Annex III 1(c), Art. 50(3))', () => {
    const answers = { biometrics: { emotionRecognition: 'workplace', emotionForMedicalOrSafetyReasons: true } } as const;
    expect(codesOf(answers, 'prohibited')).toEqual([]);
    expect(codesOf(answers, 'high_risk')).toEqual(['annex_iii_1c']);
    expect(codesOf(answers, 'transparency')).toEqual(['art50_3']);
  });

  it('biometric categorisation inferring beliefs or orientation is prohibited, and high-risk where it only labels lawful datasets (Art. 5(1)(g))', () => {
    expect(codesOf({ biometrics: { categorisation: 'sensitive_beliefs_or_orientation' } }, 'prohibited')).toEqual(['art5_1_g']);
    const labelling = { biometrics: { categorisation: 'sensitive_beliefs_or_orientation', categorisationException: 'labelling_lawful_datasets' } } as const;
    expect(codesOf(labelling, 'prohibited')).toEqual([]);
    expect(codesOf(labelling, 'high_risk')).toEqual(['annex_iii_1b']);
  });

  it('real-time facial recognition for the police in public spaces is prohibited with an officer in the loop, and without an authorised exception (Art. 5(1)(h))', () => {
    const police = { identification: 'real_time_remote', publicSpacesForLawEnforcement: true } as const;
    expect(classify({ biometrics: police }, { decisionRole: 'decision_support' }).prohibited).toBe(true);
    expect(codesOf({ biometrics: { ...police, lawEnforcementException: 'targeted_victim_search' } }, 'prohibited')).toEqual(['art5_1_h']);
    const authorised = { biometrics: { ...police, lawEnforcementException: 'targeted_victim_search', priorAuthorisation: true } } as const;
    expect(codesOf(authorised, 'prohibited')).toEqual([]);
    expect(codesOf(authorised, 'high_risk')).toEqual(['annex_iii_1a']);
    expect(codesOf(authorised, 'deployer_duty')).toContain('art5_2');
  });

  it('post remote identification is high-risk, and 1:1 verification is not (Annex III 1(a) and its carve-out)', () => {
    expect(codesOf({ biometrics: { identification: 'post_remote' } }, 'high_risk')).toEqual(['annex_iii_1a']);
    expect(classify({ biometrics: { identification: 'verification_only' } }).highRisk).toBe(false);
  });
});

describe('Art. 6: high-risk', () => {
  it.each(annexIIIPoints)('Annex III point %s is high-risk from 2 August 2026', (point) => {
    const classification = classify({ annexIII: [point] });
    expect(classification.highRisk).toBe(true);
    expect(classification.flags).toContainEqual(expect.objectContaining({ kind: 'high_risk', code: `annex_iii_${point}`, appliesFrom: '2026-08-02' }));
    expect(tierFloor(classification)).toBe('high');
  });

  it.each([
    ['5b', '5b_financial_fraud_detection'],
    ['7d', '7d_travel_document_verification'],
    ['8b', '8b_campaign_logistics_not_exposed'],
  ] as const)('Annex III %s with its carve-out (%s) is not high-risk', (point, carveOut) => {
    const classification = classify({ annexIII: [point], annexIIICarveOuts: [carveOut] });
    expect(classification.highRisk).toBe(false);
    expect(classification.flags).toContainEqual(expect.objectContaining({ kind: 'not_high_risk', code: `annex_iii_${point}_carve_out` }));
  });

  it('life and health insurance pricing is high-risk, and its deployer owes a fundamental-rights impact assessment (Annex III 5(c), Art. 27)', () => {
    expect(codesOf({ annexIII: ['5c'] }, 'deployer_duty')).toContain('art27');
  });

  it('an Art. 6(3) claim takes an Annex III system out of high-risk, with the documentation and registration it owes', () => {
    const claim = { condition: 'preparatory_task', rationale: 'drafts a summary a recruiter reads in full' } as const;
    const classification = classify({ roles: ['provider'], annexIII: ['4a'], art6_3Claim: claim });
    expect(classification.highRisk).toBe(false);
    expect(codesOf({ roles: ['provider'], annexIII: ['4a'], art6_3Claim: claim }, 'provider_duty')).toEqual(['art6_4_document', 'art49_2_register']);
  });

  it('an Art. 6(3) claim does not hold for a system that profiles people', () => {
    const classification = classify({
      annexIII: ['4a'],
      art6_3Claim: { condition: 'narrow_procedural_task', rationale: 'sorts applications' },
      profilesPeople: true,
    });
    expect(classification.highRisk).toBe(true);
    expect(classification.flags).toContainEqual(expect.objectContaining({ kind: 'question', code: 'art6_3_refused_profiling' }));
  });

  it('a safety component of an Annex I product is high-risk from 2 August 2027 when it needs a third-party assessment (Art. 6(1))', () => {
    expect(classify({ annexISafetyComponent: true, annexIThirdPartyAssessment: true }).flags).toContainEqual(
      expect.objectContaining({ kind: 'high_risk', code: 'art6_1', appliesFrom: '2027-08-02' }),
    );
    expect(classify({ annexISafetyComponent: true }).highRisk).toBe(false);
  });
});

describe('Art. 50 and general-purpose models beside the rest', () => {
  it('a high-risk chatbot keeps its transparency duty (Art. 50(1) with Annex III 4(a))', () => {
    const answers = { roles: ['provider', 'deployer'], annexIII: ['4a'], transparency: ['interacts_directly'] } as const;
    expect(codesOf(answers, 'high_risk')).toEqual(['annex_iii_4a']);
    expect(codesOf(answers, 'transparency')).toEqual(['art50_1']);
  });

  it('binds each transparency duty to its role: generated content to the provider, deep fakes to the deployer', () => {
    expect(codesOf({ roles: ['deployer'], transparency: ['generates_synthetic_content', 'deepfake'] }, 'transparency')).toEqual(['art50_4_deepfake']);
    expect(codesOf({ roles: ['provider'], transparency: ['generates_synthetic_content', 'deepfake'] }, 'transparency')).toEqual(['art50_2']);
  });

  it('public-interest text under editorial control needs no disclosure (Art. 50(4))', () => {
    expect(codesOf({ transparency: ['public_interest_text'] }, 'transparency')).toEqual(['art50_4_text']);
    expect(codesOf({ transparency: ['public_interest_text'], publicInterestTextUnderEditorialControl: true }, 'transparency')).toEqual([]);
  });

  it('names the general-purpose model duties, from 2 August 2025', () => {
    expect(codesOf({ generalPurposeModel: 'builds_on' }, 'general_purpose_model')).toEqual(['art53_1_b']);
    expect(codesOf({ roles: ['provider'], generalPurposeModel: 'provides_with_systemic_risk' }, 'general_purpose_model')).toEqual(['art53', 'art55']);
  });
});

describe('Art. 2: scope', () => {
  it.each([
    'military_defence_national_security',
    'third_country_authority_cooperation',
    'scientific_research_only',
    'research_before_market',
    'personal_non_professional',
  ] as const)('%s takes the system out of the Act, even a prohibited practice', (exclusion) => {
    const classification = classify({ exclusions: [exclusion], prohibitedPractices: ['social_scoring'] });
    expect(classification).toMatchObject({ inScope: false, prohibited: false, highRisk: false });
    expect(classification.flags.map((flag) => flag.kind)).toEqual(['out_of_scope']);
  });

  it('no tie to the Union takes it out of the Act (Art. 2(1))', () => {
    expect(classify({ euNexus: [] }).flags.map((flag) => flag.code)).toEqual(['art2_1_no_eu_nexus']);
  });

  it('open source is out only when neither prohibited, high-risk nor under Art. 50 (Art. 2(12))', () => {
    expect(classify({ exclusions: ['free_open_source'] }).inScope).toBe(false);
    expect(classify({ exclusions: ['free_open_source'], annexIII: ['4a'] }).inScope).toBe(true);
    expect(classify({ exclusions: ['free_open_source'], roles: ['provider'], transparency: ['interacts_directly'] }).inScope).toBe(true);
  });
});

describe('roles and the duties they carry', () => {
  it('a deployer putting its name on a high-risk system becomes its provider (Art. 25(1)(a))', () => {
    const classification = classify({ annexIII: ['4a'], providerTriggers: ['own_name_or_trademark'] });
    expect(classification.roles).toEqual(['deployer', 'provider']);
    expect(classification.flags.map((flag) => flag.code)).toEqual(expect.arrayContaining(['art25_1_own_name_or_trademark', 'art16', 'art26']));
    expect(classify({ providerTriggers: ['own_name_or_trademark'] }).roles).toEqual(['deployer']);
  });

  it('the manufacturer of an Annex I product is the provider of its safety component (Art. 25(3))', () => {
    expect(classify({ roles: ['product_manufacturer'], annexISafetyComponent: true, annexIThirdPartyAssessment: true }).roles).toEqual([
      'product_manufacturer',
      'provider',
    ]);
  });

  it.each([
    [{ deployerKinds: ['public_authority'], annexIII: ['5a'] }, true],
    [{ deployerKinds: ['public_service_provider'], annexIII: ['3a'] }, true],
    [{ deployerKinds: ['credit_institution'], annexIII: ['5b'] }, true],
    [{ deployerKinds: ['public_authority'], annexIII: ['2'] }, false],
    [{ annexIII: ['4a'] }, false],
  ] as const)('a fundamental-rights impact assessment (Art. 27) for %j: %s', (answers, owed) => {
    expect(codesOf(answers, 'deployer_duty').includes('art27')).toBe(owed);
  });

  it('a high-risk deployer informs workers, the people decided about, and explains a decision with legal effects (Art. 26(7), 26(11), 86)', () => {
    const answers = { annexIII: ['4b'], affectedGroups: ['workers'], legalOrSimilarlySignificantEffects: true } as const;
    expect(codesOf(answers, 'deployer_duty')).toEqual(['art26', 'art26_7', 'art26_11', 'art86']);
    expect(codesOf(answers, 'deployer_duty', { decisionRole: 'informational' })).toEqual(['art26', 'art26_7', 'art86']);
  });
});

describe('the cases the intake review found misplaced', () => {
  it('an unsupervised pothole camera is neither prohibited nor high-risk; its biometric use is asked about', () => {
    const classification = classify({}, { useCategory: 'vision_monitoring' });
    expect(classification).toMatchObject({ prohibited: false, highRisk: false });
    expect(codesOf({}, 'question', { useCategory: 'vision_monitoring' })).toEqual(['check_biometrics']);
    expect(tierFloor(classification)).toBeUndefined();
  });

  it('fraud detection is not high-risk (Annex III 5(b) carve-out), and lending without 5(b) is asked about', () => {
    expect(classify({ annexIII: ['5b'], annexIIICarveOuts: ['5b_financial_fraud_detection'] }).highRisk).toBe(false);
    expect(codesOf({}, 'question', { impactAreas: ['lending'] })).toEqual(['check_annex_iii_5b']);
  });

  it('CV screening filed as hiring without Annex III point 4 is asked about, and is high-risk once named', () => {
    expect(codesOf({}, 'question', { useCategory: 'hr_hiring' })).toEqual(['check_annex_iii_4']);
    expect(codesOf({ annexIII: ['4a'] }, 'question', { useCategory: 'hr_hiring' })).toEqual([]);
  });

  it('a prohibited system cannot proceed whatever else it is', () => {
    expect(tierFloor(classify({ prohibitedPractices: ['social_scoring'], annexIII: ['5a'] }))).toBe('prohibited');
  });
});
