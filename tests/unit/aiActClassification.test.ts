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

  it('real-time facial recognition for the police in public spaces is prohibited to its deployer with an officer in the loop, and without an authorised exception (Art. 5(1)(h))', () => {
    const police = { identification: 'real_time_remote', forLawEnforcement: true, inPubliclyAccessibleSpaces: true } as const;
    expect(classify({ biometrics: police }, { decisionRole: 'decision_support' }).prohibited).toBe(true);
    expect(codesOf({ biometrics: { ...police, lawEnforcementException: 'targeted_victim_search' } }, 'prohibited')).toEqual(['art5_1_h']);
    const authorised = { biometrics: { ...police, lawEnforcementException: 'targeted_victim_search', authorisation: 'prior' } } as const;
    expect(codesOf(authorised, 'prohibited')).toEqual([]);
    expect(codesOf(authorised, 'high_risk')).toEqual(['annex_iii_1a']);
    expect(classify(authorised).flags.find((flag) => flag.code === 'art5_2')).toMatchObject({ kind: 'deployer_duty', appliesFrom: '2025-02-02' });
    const urgent = {
      biometrics: { ...police, lawEnforcementException: 'imminent_threat_to_life_or_terror', authorisation: 'urgent_requested_within_24h' },
    } as const;
    expect(classify(urgent).flags.find((flag) => flag.code === 'art5_2')?.title).toContain(
      'refused, the use stops and its data and results are deleted at once',
    );
    // Point (h) forbids the use: the vendor that only provides such a system places a high-risk one on the market.
    const vendor = classify({ roles: ['provider'], biometrics: police });
    expect(vendor.prohibited).toBe(false);
    expect(vendor.flags.map((flag) => flag.code)).toContain('annex_iii_1a');
    // Not in public spaces: not point (h), still remote identification.
    expect(codesOf({ biometrics: { ...police, inPubliclyAccessibleSpaces: false } }, 'high_risk')).toEqual(['annex_iii_1a']);
  });

  it('an authorised real-time identification keeps its Art. 5(2)-(7) duties whatever an Art. 6(3) claim says', () => {
    const authorised = {
      biometrics: {
        identification: 'real_time_remote',
        forLawEnforcement: true,
        inPubliclyAccessibleSpaces: true,
        lawEnforcementException: 'suspect_of_serious_crime',
        authorisation: 'prior',
      },
      art6_3Claims: [{ point: '1a', condition: 'preparatory_task', rationale: 'prepares a list for officers' }],
    } as const;
    expect(codesOf(authorised, 'deployer_duty')).toContain('art5_2');
  });

  it('post remote identification by the police owes its authorisation within 48 hours, public space or not (Art. 26(10))', () => {
    expect(codesOf({ biometrics: { identification: 'post_remote', forLawEnforcement: true } }, 'deployer_duty')).toContain('art26_10');
  });

  it('post remote identification is high-risk, and 1:1 verification is not (Annex III 1(a) and its carve-out)', () => {
    expect(codesOf({ biometrics: { identification: 'post_remote' } }, 'high_risk')).toEqual(['annex_iii_1a']);
    expect(classify({ biometrics: { identification: 'verification_only' } }).highRisk).toBe(false);
    expect(codesOf({ biometrics: { identification: 'verification_only' } }, 'not_high_risk')).toEqual(['annex_iii_1a_verification']);
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

  it('an Art. 6(3) claim takes its own Annex III point out of high-risk, with the documentation and registration it owes', () => {
    const claim = { point: '4a', condition: 'preparatory_task', rationale: 'drafts a summary a recruiter reads in full' } as const;
    const classification = classify({ roles: ['provider'], annexIII: ['4a'], art6_3Claims: [claim] });
    expect(classification.highRisk).toBe(false);
    expect(classification.flags.find((flag) => flag.code === 'annex_iii_4a_art6_3')).toMatchObject({
      title: 'Recruitment or selection of people, not high-risk under Art. 6(3)(d)',
      citation: 'Regulation (EU) 2024/1689, Art. 6(3)(d), Annex III point 4(a)',
    });
    expect(codesOf({ roles: ['provider'], annexIII: ['4a'], art6_3Claims: [claim] }, 'provider_duty')).toEqual(['art6_4_document', 'art49_2_register']);
    // One claim covers its point only.
    expect(codesOf({ roles: ['provider'], annexIII: ['4a', '5b'], art6_3Claims: [claim] }, 'high_risk')).toEqual(['annex_iii_5b']);
  });

  it('an Art. 6(3) claim does not hold for a system that profiles people, nor for Annex III 6(e)', () => {
    const classification = classify({
      annexIII: ['4a'],
      art6_3Claims: [{ point: '4a', condition: 'narrow_procedural_task', rationale: 'sorts applications' }],
      profilesPeople: true,
    });
    expect(classification.highRisk).toBe(true);
    expect(classification.flags).toContainEqual(expect.objectContaining({ kind: 'question', code: 'art6_3_refused_4a' }));
    expect(codesOf({ annexIII: ['6e'], art6_3Claims: [{ point: '6e', condition: 'preparatory_task', rationale: 'x' }] }, 'high_risk')).toEqual([
      'annex_iii_6e',
    ]);
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
  it.each(['military_defence_national_security', 'third_country_authority_cooperation', 'scientific_research_only', 'research_before_market'] as const)(
    '%s takes the system out of the Act, even a prohibited practice',
    (exclusion) => {
      const classification = classify({ exclusions: [exclusion], prohibitedPractices: ['social_scoring'] });
      expect(classification).toMatchObject({ inScope: false, prohibited: false, highRisk: false });
      expect(classification.flags.map((flag) => flag.kind)).toEqual(['out_of_scope']);
    },
  );

  it('no tie to the Union takes it out of the Act (Art. 2(1))', () => {
    expect(classify({ euNexus: [] }).flags.map((flag) => flag.code)).toEqual(['art2_1_no_eu_nexus']);
  });

  it('open source is out only when neither prohibited, high-risk, under Art. 50 (whoever owes it) nor a general-purpose model (Art. 2(12))', () => {
    expect(classify({ exclusions: ['free_open_source'] }).inScope).toBe(false);
    expect(classify({ exclusions: ['free_open_source'], annexIII: ['4a'] }).inScope).toBe(true);
    expect(classify({ exclusions: ['free_open_source'], roles: ['provider'], transparency: ['interacts_directly'] }).inScope).toBe(true);
    expect(classify({ exclusions: ['free_open_source'], roles: ['deployer'], transparency: ['interacts_directly'] }).inScope).toBe(true);
    expect(classify({ exclusions: ['free_open_source'], roles: ['provider'], generalPurposeModel: 'provides_with_systemic_risk' }).inScope).toBe(true);
  });
});

describe('roles and the duties they carry', () => {
  it('a deployer that becomes the provider keeps the provider’s transparency duty (Art. 25 with Art. 50(1))', () => {
    expect(codesOf({ annexIII: ['4a'], providerTriggers: ['own_name_or_trademark'], transparency: ['interacts_directly'] }, 'transparency')).toEqual([
      'art50_1',
    ]);
  });

  it('a provider of a general-purpose model is its provider, whatever it is for the system (Art. 53)', () => {
    expect(classify({ roles: ['deployer'], generalPurposeModel: 'provides' }).roles).toEqual(['deployer', 'provider']);
  });

  it('every provider and deployer owes AI literacy from 2 February 2025 (Art. 4)', () => {
    expect(classify({}).flags.find((flag) => flag.code === 'art4')).toMatchObject({ kind: 'general_duty', appliesFrom: '2025-02-02', roles: ['deployer'] });
    expect(classify({ roles: ['importer'] }).flags.map((flag) => flag.code)).not.toContain('art4');
  });

  it('a system high-risk only through an Annex I product takes its duties from 2 August 2027 (Art. 113(c))', () => {
    const annexI = classify({ roles: ['provider', 'deployer'], annexISafetyComponent: true, annexIThirdPartyAssessment: true });
    expect(annexI.flags.filter((flag) => flag.code === 'art16' || flag.code === 'art26').map((flag) => flag.appliesFrom)).toEqual(['2027-08-02', '2027-08-02']);
  });

  it('keeps the transparency duty of a biometric use when only another practice is prohibited (Art. 50(3))', () => {
    expect(codesOf({ prohibitedPractices: ['social_scoring'], biometrics: { categorisation: 'other_protected_attributes' } }, 'transparency')).toEqual([
      'art50_3',
    ]);
  });

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
    [{ annexIII: ['5b'] }, true],
    [{ deployerKinds: ['public_authority'], annexIII: ['2'] }, false],
    [{ annexIII: ['4a'] }, false],
  ] as const)('a fundamental-rights impact assessment (Art. 27) for %j: %s', (answers, owed) => {
    expect(codesOf(answers, 'deployer_duty').includes('art27')).toBe(owed);
  });

  it('a high-risk provider weighs the harm to children and other vulnerable groups (Art. 9(9)), and only then', () => {
    expect(codesOf({ roles: ['provider'], annexIII: ['3a'], affectedGroups: ['children'] }, 'provider_duty')).toEqual(['art16', 'art9_9']);
    expect(codesOf({ roles: ['provider'], annexIII: ['3a'], affectedGroups: ['workers'] }, 'provider_duty')).toEqual(['art16']);
    expect(codesOf({ roles: ['provider'], affectedGroups: ['children'] }, 'provider_duty')).toEqual([]);
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
