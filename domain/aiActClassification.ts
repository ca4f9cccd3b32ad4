import type { AiActAnswers, AiActRole, AnnexIIIPoint, ScopeExclusion } from './aiAct';
import type { IntakeRequest, RiskTier } from './system';

/**
 * The EU AI Act classification of one system: what the Regulation makes of the intake's answers,
 * for the organisation's roles. It is multi-valued: a high-risk chatbot keeps its Art. 50 duty beside
 * its high-risk obligations, and every flag cites the provision it rests on, the answers that raised
 * it, and the date from which it applies (Art. 113).
 */

export const aiActRulesVersion = 'eu-ai-act-2024-1689/1';

/** Art. 113: when each part of the Regulation applies; a policy may set them (a later amendment moves them). */
export interface AiActApplicationDates {
  /** Chapters I and II, the prohibitions: Art. 113(a). */
  prohibitions: string;
  /** Chapter V, general-purpose AI models: Art. 113(b). */
  generalPurposeModels: string;
  /** The rest, Annex III high-risk systems and Art. 50 among them: Art. 113, second paragraph. */
  general: string;
  /** Art. 6(1), products under the Annex I legislation: Art. 113(c). */
  annexIProducts: string;
}

export const aiActApplicationDates: AiActApplicationDates = {
  prohibitions: '2025-02-02',
  generalPurposeModels: '2025-08-02',
  general: '2026-08-02',
  annexIProducts: '2027-08-02',
};

export type AiActFlagKind =
  | 'out_of_scope'
  | 'prohibited'
  | 'high_risk'
  | 'not_high_risk'
  | 'transparency'
  | 'general_purpose_model'
  | 'provider_duty'
  | 'deployer_duty'
  | 'becomes_provider'
  /** An answer the triager should check against the rest of the intake; it imposes nothing itself. */
  | 'question';

export interface AiActFlag {
  kind: AiActFlagKind;
  code: string;
  title: string;
  citation: string;
  /** The answers that raised it, as `question: answer`. */
  restsOn: string[];
  appliesFrom: string;
  /** The organisation's roles it binds. */
  roles: AiActRole[];
}

export interface AiActClassification {
  rulesVersion: string;
  inScope: boolean;
  prohibited: boolean;
  highRisk: boolean;
  /** The organisation's roles, with provider added where Art. 25 makes it one. */
  roles: AiActRole[];
  flags: AiActFlag[];
}

const act = (provision: string) => `Regulation (EU) 2024/1689, ${provision}`;

const exclusionProvisions: Record<ScopeExclusion, { provision: string; title: string }> = {
  military_defence_national_security: { provision: 'Art. 2(3)', title: 'Used exclusively for military, defence or national security purposes' },
  third_country_authority_cooperation: {
    provision: 'Art. 2(4)',
    title: 'Used by a third-country public authority or international organisation in law enforcement or judicial cooperation',
  },
  scientific_research_only: { provision: 'Art. 2(6)', title: 'Developed and put into service for the sole purpose of scientific research' },
  research_before_market: {
    provision: 'Art. 2(8)',
    title: 'Research, testing or development before placing on the market (not testing in real-world conditions)',
  },
  personal_non_professional: { provision: 'Art. 2(10)', title: 'Used by a natural person in a purely personal, non-professional activity' },
  free_open_source: { provision: 'Art. 2(12)', title: 'Released under a free and open-source licence, and neither prohibited, high-risk nor under Art. 50' },
};

const annexIIITitles: Record<AnnexIIIPoint, string> = {
  '1a': 'Remote biometric identification',
  '1b': 'Biometric categorisation by sensitive or protected attributes',
  '1c': 'Emotion recognition',
  '2': 'Safety component in critical infrastructure',
  '3a': 'Access or admission to education',
  '3b': 'Evaluating learning outcomes',
  '3c': 'Assessing the level of education a person will receive',
  '3d': 'Monitoring students for prohibited behaviour during tests',
  '4a': 'Recruitment or selection of people',
  '4b': 'Decisions on work relationships, task allocation, monitoring or evaluation of workers',
  '5a': 'Eligibility for essential public assistance benefits and services',
  '5b': 'Creditworthiness or credit scoring of natural persons',
  '5c': 'Risk assessment and pricing in life and health insurance',
  '5d': 'Evaluating emergency calls, dispatching emergency services, emergency patient triage',
  '6a': 'Law enforcement: risk of a person becoming a victim',
  '6b': 'Law enforcement: polygraphs and similar tools',
  '6c': 'Law enforcement: reliability of evidence',
  '6d': 'Law enforcement: risk of offending or re-offending',
  '6e': 'Law enforcement: profiling in detection, investigation or prosecution',
  '7a': 'Migration and border control: polygraphs and similar tools',
  '7b': 'Migration and border control: security, irregular migration or health risk of a person',
  '7c': 'Migration and border control: examining asylum, visa or residence applications',
  '7d': 'Migration and border control: detecting, recognising or identifying people',
  '8a': 'Assisting a judicial authority, or alternative dispute resolution',
  '8b': 'Influencing the outcome of an election or referendum, or voting behaviour',
};

const annexIIICarveOutOf: Partial<Record<AnnexIIIPoint, { carveOut: AiActAnswers['annexIIICarveOuts'][number]; title: string }>> = {
  '5b': { carveOut: '5b_financial_fraud_detection', title: 'Used to detect financial fraud, which Annex III 5(b) excludes' },
  '7d': { carveOut: '7d_travel_document_verification', title: 'Verifies travel documents, which Annex III 7(d) excludes' },
  '8b': { carveOut: '8b_campaign_logistics_not_exposed', title: 'Organises a campaign without exposing people to its output, which Annex III 8(b) excludes' },
};

/** `4a` as the Regulation writes it: point 4(a). */
const annexIIIPoint = (point: AnnexIIIPoint) => `Annex III point ${point[0]}${point.length > 1 ? `(${point.slice(1)})` : ''}`;

/** What one classification collects as its rules run. */
class Findings {
  readonly flags: AiActFlag[] = [];
  constructor(
    readonly answers: AiActAnswers,
    readonly dates: AiActApplicationDates,
  ) {}

  add(kind: AiActFlagKind, code: string, title: string, provision: string, restsOn: string[], appliesFrom: string, roles: readonly AiActRole[]) {
    this.flags.push({ kind, code, title, citation: act(provision), restsOn, appliesFrom, roles: [...roles] });
  }

  /** A duty for the roles in `owedBy` the organisation holds; none when it holds none of them. */
  owe(
    kind: 'provider_duty' | 'deployer_duty' | 'transparency',
    code: string,
    title: string,
    provision: string,
    restsOn: string[],
    owedBy: readonly AiActRole[],
  ) {
    const roles = this.answers.roles.filter((role) => owedBy.includes(role));
    if (roles.length) this.add(kind, code, title, provision, restsOn, this.dates.general, roles);
  }

  has = (kind: AiActFlagKind) => this.flags.some((flag) => flag.kind === kind);
}

function screenProhibitedPractices(found: Findings) {
  const { answers } = found;
  const practice = (code: string, provision: string, title: string, restsOn: string[]) =>
    found.add('prohibited', code, title, provision, restsOn, found.dates.prohibitions, answers.roles);
  const chosen = new Set(answers.prohibitedPractices);
  if (chosen.has('subliminal_or_manipulative'))
    practice('art5_1_a', 'Art. 5(1)(a)', 'Subliminal, manipulative or deceptive techniques that distort behaviour', [
      'prohibitedPractices: subliminal_or_manipulative',
    ]);
  if (chosen.has('exploits_vulnerabilities'))
    practice('art5_1_b', 'Art. 5(1)(b)', 'Exploits vulnerabilities of age, disability or social or economic situation', [
      'prohibitedPractices: exploits_vulnerabilities',
    ]);
  if (chosen.has('social_scoring')) practice('art5_1_c', 'Art. 5(1)(c)', 'Social scoring of natural persons', ['prohibitedPractices: social_scoring']);
  if (chosen.has('crime_risk_by_profiling') && !answers.practiceExceptions.includes('supports_human_assessment_on_facts'))
    practice('art5_1_d', 'Art. 5(1)(d)', 'Predicts the risk of a person committing a crime from profiling or personality traits alone', [
      'prohibitedPractices: crime_risk_by_profiling',
    ]);
  if (chosen.has('untargeted_facial_scraping'))
    practice('art5_1_e', 'Art. 5(1)(e)', 'Builds facial recognition databases by untargeted scraping of images', [
      'prohibitedPractices: untargeted_facial_scraping',
    ]);
  screenBiometricPractices(found, practice);
}

function screenBiometricPractices(found: Findings, practice: (code: string, provision: string, title: string, restsOn: string[]) => void) {
  const { biometrics } = found.answers;
  if ((biometrics.emotionRecognition === 'workplace' || biometrics.emotionRecognition === 'education') && !biometrics.emotionForMedicalOrSafetyReasons)
    practice('art5_1_f', 'Art. 5(1)(f)', `Infers emotions of people in the ${biometrics.emotionRecognition}, not for medical or safety reasons`, [
      `biometrics.emotionRecognition: ${biometrics.emotionRecognition}`,
    ]);
  if (biometrics.categorisation === 'sensitive_beliefs_or_orientation' && biometrics.categorisationException === 'none')
    practice('art5_1_g', 'Art. 5(1)(g)', 'Categorises people by biometrics to infer race, opinions, union membership, beliefs, sex life or orientation', [
      'biometrics.categorisation: sensitive_beliefs_or_orientation',
    ]);
  if (realTimeIdentificationByPolice(found.answers) && !authorisedException(found.answers))
    practice(
      'art5_1_h',
      'Art. 5(1)(h)',
      'Real-time remote biometric identification in public spaces for law enforcement, outside an authorised exception (human oversight does not lift it)',
      [
        `biometrics.identification: real_time_remote`,
        'biometrics.publicSpacesForLawEnforcement: true',
        `biometrics.lawEnforcementException: ${found.answers.biometrics.lawEnforcementException}`,
        `biometrics.priorAuthorisation: ${found.answers.biometrics.priorAuthorisation}`,
      ],
    );
}

const realTimeIdentificationByPolice = ({ biometrics }: AiActAnswers) =>
  biometrics.identification === 'real_time_remote' && biometrics.publicSpacesForLawEnforcement;
/** Art. 5(1)(h)(i)-(iii) with Art. 5(3): an exception's purpose, authorised in advance (or, in urgency, requested within 24 hours). */
const authorisedException = ({ biometrics }: AiActAnswers) => biometrics.lawEnforcementException !== 'none' && biometrics.priorAuthorisation;

/**
 * The Annex III points the answers reach: point 1 from the biometric answers where the use is not
 * prohibited outright (Art. 5 comes first), the others as picked, less their carve-outs.
 */
function annexIIIReached(found: Findings): { point: AnnexIIIPoint; restsOn: string }[] {
  const { biometrics, annexIII, annexIIICarveOuts } = found.answers;
  const prohibited = (code: string) => found.flags.some((flag) => flag.code === code);
  const reached: { point: AnnexIIIPoint; restsOn: string }[] = [];
  if ((biometrics.identification === 'real_time_remote' || biometrics.identification === 'post_remote') && !prohibited('art5_1_h'))
    reached.push({ point: '1a', restsOn: `biometrics.identification: ${biometrics.identification}` });
  if (biometrics.categorisation !== 'none' && !prohibited('art5_1_g'))
    reached.push({ point: '1b', restsOn: `biometrics.categorisation: ${biometrics.categorisation}` });
  if (biometrics.emotionRecognition !== 'none' && !prohibited('art5_1_f'))
    reached.push({ point: '1c', restsOn: `biometrics.emotionRecognition: ${biometrics.emotionRecognition}` });
  for (const point of annexIII) {
    const carveOut = annexIIICarveOutOf[point];
    if (carveOut && annexIIICarveOuts.includes(carveOut.carveOut)) {
      found.add(
        'not_high_risk',
        `annex_iii_${point}_carve_out`,
        carveOut.title,
        annexIIIPoint(point),
        [`annexIIICarveOuts: ${carveOut.carveOut}`],
        found.dates.general,
        found.answers.roles,
      );
    } else reached.push({ point, restsOn: `annexIII: ${point}` });
  }
  return reached;
}

/** Art. 6: high-risk through an Annex I product, or an Annex III point unless an Art. 6(3) claim holds. */
function classifyHighRisk(found: Findings): AnnexIIIPoint[] {
  const { answers, dates } = found;
  if (answers.annexISafetyComponent && answers.annexIThirdPartyAssessment)
    found.add(
      'high_risk',
      'art6_1',
      'Safety component of, or itself, a product under Annex I that needs a third-party conformity assessment',
      'Art. 6(1)',
      ['annexISafetyComponent: true', 'annexIThirdPartyAssessment: true'],
      dates.annexIProducts,
      answers.roles,
    );
  const reached = annexIIIReached(found);
  const claim = answers.art6_3Claim;
  if (claim && reached.length && answers.profilesPeople)
    found.add(
      'question',
      'art6_3_refused_profiling',
      'The Art. 6(3) claim does not hold: an Annex III system that profiles people is always high-risk',
      'Art. 6(3), third subparagraph',
      [`art6_3Claim.condition: ${claim.condition}`, 'profilesPeople: true'],
      dates.general,
      answers.roles,
    );
  const claimHolds = claim !== undefined && !answers.profilesPeople;
  for (const { point, restsOn } of reached) {
    if (claimHolds) {
      found.add(
        'not_high_risk',
        `annex_iii_${point}_art6_3`,
        `${annexIIITitles[point]}, not high-risk under Art. 6(3)(${claim.condition})`,
        `Art. 6(3), ${annexIIIPoint(point)}`,
        [restsOn, `art6_3Claim.condition: ${claim.condition}`],
        dates.general,
        answers.roles,
      );
    } else found.add('high_risk', `annex_iii_${point}`, annexIIITitles[point], `Art. 6(2), ${annexIIIPoint(point)}`, [restsOn], dates.general, answers.roles);
  }
  if (claimHolds && reached.length) {
    found.owe(
      'provider_duty',
      'art6_4_document',
      'Document the Art. 6(3) assessment before placing on the market, and give it on request',
      'Art. 6(4)',
      [`art6_3Claim.condition: ${claim.condition}`],
      ['provider'],
    );
    found.owe(
      'provider_duty',
      'art49_2_register',
      'Register the system in the EU database as not high-risk',
      'Art. 49(2)',
      [`art6_3Claim.condition: ${claim.condition}`],
      ['provider'],
    );
  }
  return claimHolds ? [] : reached.map(({ point }) => point);
}

/** Art. 25(1): a deployer, importer or distributor of a high-risk system that becomes its provider. */
function providerByArt25(found: Findings, highRisk: boolean): AiActRole[] {
  const { answers } = found;
  const roles = [...answers.roles];
  const thirdParty = roles.some((role) => role === 'deployer' || role === 'importer' || role === 'distributor');
  if (!highRisk || !thirdParty || roles.includes('provider')) return roles;
  const triggers = {
    own_name_or_trademark: 'Art. 25(1)(a)',
    substantial_modification: 'Art. 25(1)(b)',
    changed_purpose_to_high_risk: 'Art. 25(1)(c)',
  } as const;
  for (const trigger of answers.providerTriggers) {
    found.add(
      'becomes_provider',
      `art25_1_${trigger}`,
      "Considered the provider of this high-risk system, with the provider's obligations (Art. 16)",
      triggers[trigger],
      [`providerTriggers: ${trigger}`],
      found.dates.general,
      ['provider'],
    );
  }
  if (answers.providerTriggers.length) roles.push('provider');
  return roles;
}

/** Art. 25(3): the manufacturer of an Annex I product whose safety component this is counts as its provider. */
function manufacturerAsProvider(found: Findings, roles: AiActRole[]): AiActRole[] {
  const annexI = found.flags.some((flag) => flag.code === 'art6_1');
  if (!annexI || !roles.includes('product_manufacturer') || roles.includes('provider')) return roles;
  found.add(
    'becomes_provider',
    'art25_3',
    'The product manufacturer is the provider of the high-risk AI system in its product',
    'Art. 25(3)',
    ['roles: product_manufacturer', 'annexISafetyComponent: true'],
    found.dates.annexIProducts,
    ['provider'],
  );
  return [...roles, 'provider'];
}

/** What a high-risk system asks of each role the organisation holds. */
function highRiskDuties(found: Findings, roles: AiActRole[], annexIII: AnnexIIIPoint[], intake: Pick<IntakeRequest, 'decisionRole'>) {
  const { answers } = found;
  const owedBy = (role: AiActRole) => (roles.includes(role) ? [role] : []);
  const reachedBy = annexIII.map((point) => `annexIII: ${point}`);
  const pointOtherThan2 = annexIII.some((point) => point !== '2');
  if (owedBy('provider').length)
    found.add(
      'provider_duty',
      'art16',
      'Provider of a high-risk system: requirements of Chapter III Section 2, quality management, conformity assessment, CE marking, registration',
      'Art. 16',
      reachedBy,
      found.dates.general,
      ['provider'],
    );
  found.owe('provider_duty', 'art23', 'Importer of a high-risk system: verify its conformity assessment, documentation and CE marking', 'Art. 23', reachedBy, [
    'importer',
  ]);
  found.owe('provider_duty', 'art24', 'Distributor of a high-risk system: verify its CE marking, declaration and instructions', 'Art. 24', reachedBy, [
    'distributor',
  ]);
  if (!roles.includes('deployer')) return;
  found.owe(
    'deployer_duty',
    'art26',
    'Deployer of a high-risk system: use per instructions, competent human oversight, monitoring, logs kept, serious incidents reported',
    'Art. 26',
    reachedBy,
    ['deployer'],
  );
  if (answers.affectedGroups.includes('workers'))
    found.owe(
      'deployer_duty',
      'art26_7',
      "Inform workers' representatives and the affected workers before use at the workplace",
      'Art. 26(7)',
      ['affectedGroups: workers'],
      ['deployer'],
    );
  if (pointOtherThan2 && intake.decisionRole !== 'informational')
    found.owe(
      'deployer_duty',
      'art26_11',
      'Inform the people it makes or helps make decisions about that they are subject to it',
      'Art. 26(11)',
      [`decisionRole: ${intake.decisionRole}`],
      ['deployer'],
    );
  if (pointOtherThan2 && answers.legalOrSimilarlySignificantEffects)
    found.owe(
      'deployer_duty',
      'art86',
      'Explain, on request, the role of the system in a decision with legal or similarly significant effects',
      'Art. 86(1)',
      ['legalOrSimilarlySignificantEffects: true'],
      ['deployer'],
    );
  if (answers.biometrics.identification === 'post_remote' && answers.biometrics.publicSpacesForLawEnforcement)
    found.owe(
      'deployer_duty',
      'art26_10',
      'Post remote biometric identification for law enforcement: authorisation for each targeted use, and its use documented',
      'Art. 26(10)',
      ['biometrics.identification: post_remote'],
      ['deployer'],
    );
  if (realTimeIdentificationByPolice(answers))
    found.owe(
      'deployer_duty',
      'art5_2',
      'Real-time identification under an exception: its authorisation, a fundamental-rights impact assessment and registration for each use',
      'Art. 5(2)-(7)',
      [`biometrics.lawEnforcementException: ${answers.biometrics.lawEnforcementException}`],
      ['deployer'],
    );
  if (fundamentalRightsAssessmentOwed(answers, annexIII))
    found.owe(
      'deployer_duty',
      'art27',
      'Fundamental-rights impact assessment before first use, and the market surveillance authority notified',
      'Art. 27(1)',
      [...answers.deployerKinds.map((kind) => `deployerKinds: ${kind}`), ...reachedBy],
      ['deployer'],
    );
  if (pointOtherThan2 && answers.deployerKinds.includes('public_authority'))
    found.owe(
      'deployer_duty',
      'art49_3',
      'A public authority registers its use of the system in the EU database',
      'Art. 49(3)',
      ['deployerKinds: public_authority'],
      ['deployer'],
    );
}

/** Art. 27(1): public bodies and private providers of public services for Annex III systems (not point 2), and every deployer of 5(b) and 5(c). */
function fundamentalRightsAssessmentOwed(answers: AiActAnswers, annexIII: AnnexIIIPoint[]): boolean {
  const publicSide = answers.deployerKinds.includes('public_authority') || answers.deployerKinds.includes('public_service_provider');
  return (publicSide && annexIII.some((point) => point !== '2')) || annexIII.includes('5b') || annexIII.includes('5c');
}

/** Art. 50: transparency, owed whatever else the system is. */
function transparencyDuties(found: Findings) {
  const { answers } = found;
  const cases = new Set(answers.transparency);
  if (cases.has('interacts_directly'))
    found.owe(
      'transparency',
      'art50_1',
      'Tell people they are interacting with an AI system, unless it is obvious',
      'Art. 50(1)',
      ['transparency: interacts_directly'],
      ['provider'],
    );
  if (cases.has('generates_synthetic_content'))
    found.owe(
      'transparency',
      'art50_2',
      'Mark generated audio, image, video or text as artificially generated, in a machine-readable format',
      'Art. 50(2)',
      ['transparency: generates_synthetic_content'],
      ['provider'],
    );
  const biometricUse = [
    answers.biometrics.emotionRecognition !== 'none' && 'biometrics.emotionRecognition',
    answers.biometrics.categorisation !== 'none' && 'biometrics.categorisation',
  ].filter((answer): answer is string => typeof answer === 'string');
  if (biometricUse.length && !found.has('prohibited'))
    found.owe('transparency', 'art50_3', 'Inform the people exposed to emotion recognition or biometric categorisation', 'Art. 50(3)', biometricUse, [
      'deployer',
    ]);
  if (cases.has('deepfake'))
    found.owe(
      'transparency',
      'art50_4_deepfake',
      'Disclose that image, audio or video content is a deep fake',
      'Art. 50(4), first subparagraph',
      ['transparency: deepfake'],
      ['deployer'],
    );
  if (cases.has('public_interest_text') && !answers.publicInterestTextUnderEditorialControl)
    found.owe(
      'transparency',
      'art50_4_text',
      'Disclose that text published to inform the public on matters of public interest was generated',
      'Art. 50(4), second subparagraph',
      ['transparency: public_interest_text'],
      ['deployer'],
    );
}

/** Chapter V: duties of a general-purpose model's provider, and what a system built on one may ask of it. */
function generalPurposeModelDuties(found: Findings) {
  const use = found.answers.generalPurposeModel;
  const restsOn = [`generalPurposeModel: ${use}`];
  const from = found.dates.generalPurposeModels;
  if (use === 'builds_on')
    found.add(
      'general_purpose_model',
      'art53_1_b',
      "Built on a general-purpose AI model: its provider's documentation for downstream providers applies",
      'Art. 53(1)(b)',
      restsOn,
      from,
      found.answers.roles,
    );
  if (use === 'provides' || use === 'provides_with_systemic_risk')
    found.add(
      'general_purpose_model',
      'art53',
      'Provider of a general-purpose AI model: technical documentation, copyright policy, training content summary',
      'Art. 53',
      restsOn,
      from,
      ['provider'],
    );
  if (use === 'provides_with_systemic_risk')
    found.add(
      'general_purpose_model',
      'art55',
      'Provider of a model with systemic risk: evaluation, adversarial testing, serious incident reporting, cybersecurity',
      'Art. 55',
      restsOn,
      from,
      ['provider'],
    );
}

/** Answers the rest of the intake puts in doubt: the triager checks them with the owner. */
function questionsFromTheIntake(found: Findings, intake: Pick<IntakeRequest, 'useCategory' | 'impactAreas'>) {
  const { answers } = found;
  const ask = (code: string, title: string, provision: string, restsOn: string) =>
    found.add('question', code, title, provision, [restsOn], found.dates.general, answers.roles);
  const picked = (prefix: string) => answers.annexIII.some((point) => point.startsWith(prefix));
  if ((intake.useCategory === 'hr_hiring' || intake.impactAreas.includes('employment')) && !picked('4'))
    ask(
      'check_annex_iii_4',
      'Used in hiring or employment, yet no Annex III point 4 is named: recruitment, selection and decisions on workers are high-risk',
      'Annex III point 4',
      `useCategory: ${intake.useCategory}`,
    );
  if (intake.impactAreas.includes('lending') && !picked('5b'))
    ask(
      'check_annex_iii_5b',
      'Used in lending, yet Annex III 5(b) (creditworthiness of natural persons) is not named',
      'Annex III point 5(b)',
      'impactAreas: lending',
    );
  if (
    intake.useCategory === 'vision_monitoring' &&
    answers.biometrics.identification === 'none' &&
    answers.biometrics.categorisation === 'none' &&
    answers.biometrics.emotionRecognition === 'none'
  )
    ask(
      'check_biometrics',
      'Vision monitoring with no biometric use named: check whether it identifies, categorises or reads the emotions of people',
      'Art. 5(1)(f)-(h), Annex III point 1',
      'useCategory: vision_monitoring',
    );
  if ((intake.useCategory === 'generative_assistant' || intake.useCategory === 'customer_service') && !answers.transparency.includes('interacts_directly'))
    ask(
      'check_art50_1',
      'An assistant or customer service system that does not interact with people directly: check Art. 50(1)',
      'Art. 50(1)',
      `useCategory: ${intake.useCategory}`,
    );
}

interface ScopeExclusionFound {
  code: string;
  title: string;
  provision: string;
  restsOn: string;
}

/** Art. 2(1), (3)-(10): an exclusion, or no tie to the Union, takes the system out of the Act whatever it does. */
function excludedOutright(answers: AiActAnswers): ScopeExclusionFound | undefined {
  const excluded = answers.exclusions.find((exclusion) => exclusion !== 'free_open_source');
  if (excluded) return { code: `art2_${excluded}`, ...exclusionProvisions[excluded], restsOn: `exclusions: ${excluded}` };
  if (answers.euNexus.length) return undefined;
  return {
    code: 'art2_1_no_eu_nexus',
    title: 'Neither placed on the Union market, put into service or used in the Union, nor its output used there',
    provision: 'Art. 2(1)',
    restsOn: 'euNexus: none',
  };
}

/** Art. 2(12): free and open-source is out only when it is neither prohibited, high-risk nor under Art. 50. */
function excludedAsOpenSource(found: Findings): ScopeExclusionFound | undefined {
  if (!found.answers.exclusions.includes('free_open_source')) return undefined;
  if (found.has('prohibited') || found.has('high_risk') || found.has('transparency')) return undefined;
  return { code: 'art2_free_open_source', ...exclusionProvisions.free_open_source, restsOn: 'exclusions: free_open_source' };
}

function outOfScope(answers: AiActAnswers, dates: AiActApplicationDates, exclusion: ScopeExclusionFound): AiActClassification {
  const flag: AiActFlag = {
    kind: 'out_of_scope',
    code: exclusion.code,
    title: exclusion.title,
    citation: act(exclusion.provision),
    restsOn: [exclusion.restsOn],
    appliesFrom: dates.prohibitions,
    roles: [...answers.roles],
  };
  return { rulesVersion: aiActRulesVersion, inScope: false, prohibited: false, highRisk: false, roles: [...answers.roles], flags: [flag] };
}

/** The classification of one intake's answers under the EU AI Act. */
export function classifyUnderAiAct(
  answers: AiActAnswers,
  intake: Pick<IntakeRequest, 'useCategory' | 'impactAreas' | 'decisionRole'>,
  dates: AiActApplicationDates = aiActApplicationDates,
): AiActClassification {
  const outright = excludedOutright(answers);
  if (outright) return outOfScope(answers, dates, outright);
  const found = new Findings(answers, dates);
  screenProhibitedPractices(found);
  const annexIII = classifyHighRisk(found);
  const highRisk = found.has('high_risk');
  const roles = manufacturerAsProvider(found, providerByArt25(found, highRisk));
  if (highRisk) highRiskDuties(found, roles, annexIII, intake);
  transparencyDuties(found);
  generalPurposeModelDuties(found);
  const openSource = excludedAsOpenSource(found);
  if (openSource) return outOfScope(answers, dates, openSource);
  questionsFromTheIntake(found, intake);
  return { rulesVersion: aiActRulesVersion, inScope: true, prohibited: found.has('prohibited'), highRisk, roles, flags: found.flags };
}

/** What the audit chain keeps of a classification: its verdicts and each flag's provision. */
export const aiActSummary = ({ rulesVersion, inScope, prohibited, highRisk, roles, flags }: AiActClassification) => ({
  rulesVersion,
  inScope,
  prohibited,
  highRisk,
  roles,
  flags: flags.map(({ kind, code, citation }) => ({ kind, code, citation })),
});

/** The floor the classification sets under the organisation's own tier: prohibited cannot proceed, high-risk is at least high. */
export function tierFloor(classification: AiActClassification): RiskTier | undefined {
  if (classification.prohibited) return 'prohibited';
  if (classification.highRisk) return 'high';
  return undefined;
}
