import type { AiActAnswers, AiActRole, AnnexIIIPoint, ScopeExclusion } from './aiAct';
import type { IntakeRequest, RiskTier } from './system';

/**
 * The EU AI Act classification of one system: what the Regulation makes of the intake's answers,
 * for the organisation's roles. It is multi-valued: a high-risk chatbot keeps its Art. 50 duty beside
 * its high-risk obligations, and every flag cites the provision it rests on, the answers that raised
 * it, and the date from which it applies (Art. 113).
 */

export const aiActRulesVersion = 'eu-ai-act-2024-1689/3';

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
  /** A duty of every provider and deployer, whatever the system is (Art. 4). */
  | 'general_duty'
  | 'provider_duty'
  | 'deployer_duty'
  | 'importer_duty'
  | 'distributor_duty'
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
  free_open_source: {
    provision: 'Art. 2(12)',
    title: 'Released under a free and open-source licence, and neither prohibited, high-risk, under Art. 50 nor a general-purpose model',
  },
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
  '5a': 'Eligibility for essential public assistance benefits and services, by or on behalf of public authorities',
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

/** What one classification collects as its rules run, and the roles the organisation holds as they do (Art. 25 adds provider). */
class Findings {
  readonly flags: AiActFlag[] = [];
  roles: AiActRole[];
  constructor(
    readonly answers: AiActAnswers,
    readonly dates: AiActApplicationDates,
  ) {
    this.roles = [...answers.roles];
  }

  add(kind: AiActFlagKind, code: string, title: string, provision: string, restsOn: string[], appliesFrom: string, roles: readonly AiActRole[]) {
    this.flags.push({ kind, code, title, citation: act(provision), restsOn, appliesFrom, roles: [...roles] });
  }

  /** A duty for the roles in `owedBy` the organisation holds; none when it holds none of them. */
  owe(kind: AiActFlagKind, code: string, title: string, provision: string, restsOn: string[], owedBy: readonly AiActRole[], from = this.dates.general) {
    const roles = this.roles.filter((role) => owedBy.includes(role));
    if (roles.length) this.add(kind, code, title, provision, restsOn, from, roles);
  }

  has = (kind: AiActFlagKind) => this.flags.some((flag) => flag.kind === kind);
  hasCode = (code: string) => this.flags.some((flag) => flag.code === code);
}

function screenProhibitedPractices(found: Findings) {
  const { answers } = found;
  const practice = (code: string, provision: string, title: string, restsOn: string[]) =>
    found.add('prohibited', code, title, provision, restsOn, found.dates.prohibitions, found.roles);
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
  if (chosen.has('crime_risk_by_profiling') && answers.practiceExceptions.includes('supports_human_assessment_on_facts') && !answers.annexIII.includes('6d'))
    found.add(
      'question',
      'check_annex_iii_6d',
      'A crime risk assessment supporting a human one is not prohibited, and is high-risk under Annex III 6(d) when used for law enforcement',
      'Art. 5(1)(d), Annex III point 6(d)',
      ['practiceExceptions: supports_human_assessment_on_facts'],
      found.dates.general,
      found.roles,
    );
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
  // Point (h) prohibits the use, not the placing on the market: it binds the deployer.
  if (realTimeIdentificationByPolice(found.answers) && !authorisedException(found.answers) && found.roles.includes('deployer'))
    found.add(
      'prohibited',
      'art5_1_h',
      'Real-time remote biometric identification in public spaces for law enforcement, outside an authorised exception (human oversight does not lift it)',
      'Art. 5(1)(h)',
      [
        'biometrics.identification: real_time_remote',
        'biometrics.forLawEnforcement: true',
        'biometrics.inPubliclyAccessibleSpaces: true',
        `biometrics.lawEnforcementException: ${biometrics.lawEnforcementException}`,
        `biometrics.authorisation: ${biometrics.authorisation}`,
      ],
      found.dates.prohibitions,
      ['deployer'],
    );
}

const realTimeIdentificationByPolice = ({ biometrics }: AiActAnswers) =>
  biometrics.identification === 'real_time_remote' && biometrics.forLawEnforcement && biometrics.inPubliclyAccessibleSpaces;
/** Art. 5(1)(h)(i)-(iii) with Art. 5(3): an exception's purpose, authorised in advance or, in urgency, requested within 24 hours. */
const authorisedException = ({ biometrics }: AiActAnswers) => biometrics.lawEnforcementException !== 'none' && biometrics.authorisation !== 'none';

/** Art. 5(2)-(7): what an authorised real-time identification asks of its deployer, high-risk or not. */
function authorisedIdentificationDuties(found: Findings) {
  const { biometrics } = found.answers;
  if (!realTimeIdentificationByPolice(found.answers) || !authorisedException(found.answers)) return;
  const urgent = biometrics.authorisation === 'urgent_requested_within_24h';
  found.owe(
    'deployer_duty',
    'art5_2',
    `Real-time identification under an exception: for each use its authorisation${urgent ? ' (requested within 24 hours; refused, the use stops and its data and results are deleted at once)' : ''}, a fundamental-rights impact assessment, registration, notification of the authorities, and a national law allowing it`,
    'Art. 5(2)-(7)',
    [`biometrics.lawEnforcementException: ${biometrics.lawEnforcementException}`, `biometrics.authorisation: ${biometrics.authorisation}`],
    ['deployer'],
    found.dates.prohibitions,
  );
}

/**
 * The Annex III points the answers reach: point 1 from the biometric answers where the use is not
 * prohibited outright (Art. 5 comes first), the others as picked, less their carve-outs.
 */
function annexIIIReached(found: Findings): { point: AnnexIIIPoint; restsOn: string }[] {
  const { biometrics, annexIII, annexIIICarveOuts } = found.answers;
  const reached: { point: AnnexIIIPoint; restsOn: string }[] = [];
  if ((biometrics.identification === 'real_time_remote' || biometrics.identification === 'post_remote') && !found.hasCode('art5_1_h'))
    reached.push({ point: '1a', restsOn: `biometrics.identification: ${biometrics.identification}` });
  if (biometrics.identification === 'verification_only')
    found.add(
      'not_high_risk',
      'annex_iii_1a_verification',
      'Biometric verification that only confirms a person is who they claim to be, which Annex III 1(a) excludes',
      'Annex III point 1(a)',
      ['biometrics.identification: verification_only'],
      found.dates.general,
      found.roles,
    );
  if (biometrics.categorisation !== 'none' && !found.hasCode('art5_1_g'))
    reached.push({ point: '1b', restsOn: `biometrics.categorisation: ${biometrics.categorisation}` });
  if (biometrics.emotionRecognition !== 'none' && !found.hasCode('art5_1_f'))
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
        found.roles,
      );
    } else reached.push({ point, restsOn: `annexIII: ${point}` });
  }
  return reached;
}

const art6_3Letters = {
  narrow_procedural_task: 'a',
  improves_completed_human_activity: 'b',
  detects_patterns_with_human_review: 'c',
  preparatory_task: 'd',
} as const;

/**
 * Art. 6(3): a claim holds for its own point only, never for a system that profiles people, nor for
 * Annex III 6(e), which is profiling by its terms. The points whose claim holds are not high-risk.
 */
function art6_3Holds(found: Findings, reached: { point: AnnexIIIPoint; restsOn: string }[]): Set<AnnexIIIPoint> {
  const { answers, dates } = found;
  const holding = new Set<AnnexIIIPoint>();
  for (const claim of answers.art6_3Claims) {
    const restsOn = [`art6_3Claims: ${claim.point} (${claim.condition})`];
    if (!reached.some(({ point }) => point === claim.point)) {
      found.add(
        'question',
        `art6_3_claim_${claim.point}_not_reached`,
        `An Art. 6(3) claim for ${annexIIIPoint(claim.point)}, which the answers do not reach`,
        'Art. 6(3)',
        restsOn,
        dates.general,
        found.roles,
      );
    } else if (answers.profilesPeople || claim.point === '6e') {
      found.add(
        'question',
        `art6_3_refused_${claim.point}`,
        `The Art. 6(3) claim for ${annexIIIPoint(claim.point)} does not hold: a system that profiles people is always high-risk`,
        'Art. 6(3), third subparagraph',
        [...restsOn, ...(answers.profilesPeople ? ['profilesPeople: true'] : [])],
        dates.general,
        found.roles,
      );
    } else holding.add(claim.point);
  }
  return holding;
}

/** Art. 6: high-risk through an Annex I product, or an Annex III point unless its Art. 6(3) claim holds. Answers the points that are high-risk. */
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
      found.roles,
    );
  const reached = annexIIIReached(found);
  const holding = art6_3Holds(found, reached);
  for (const { point, restsOn } of reached) {
    const claim = answers.art6_3Claims.find((candidate) => candidate.point === point);
    if (claim && holding.has(point)) {
      found.add(
        'not_high_risk',
        `annex_iii_${point}_art6_3`,
        `${annexIIITitles[point]}, not high-risk under Art. 6(3)(${art6_3Letters[claim.condition]})`,
        `Art. 6(3)(${art6_3Letters[claim.condition]}), ${annexIIIPoint(point)}`,
        [restsOn, `art6_3Claims: ${point} (${claim.condition})`],
        dates.general,
        found.roles,
      );
    } else found.add('high_risk', `annex_iii_${point}`, annexIIITitles[point], `Art. 6(2), ${annexIIIPoint(point)}`, [restsOn], dates.general, found.roles);
  }
  if (holding.size) {
    const restsOn = [...holding].map((point) => `art6_3Claims: ${point}`);
    found.owe(
      'provider_duty',
      'art6_4_document',
      'Document the Art. 6(3) assessment before placing on the market, and give it on request',
      'Art. 6(4)',
      restsOn,
      ['provider'],
    );
    found.owe('provider_duty', 'art49_2_register', 'Register the system in the EU database as not high-risk', 'Art. 49(2)', restsOn, ['provider']);
  }
  return reached.filter(({ point }) => !holding.has(point)).map(({ point }) => point);
}

/** Art. 25(1): a deployer, importer or distributor of a high-risk system that becomes its provider. */
function providerByArt25(found: Findings, highRiskFrom: string) {
  const thirdParty = found.roles.some((role) => role === 'deployer' || role === 'importer' || role === 'distributor');
  if (!found.has('high_risk') || !thirdParty || found.roles.includes('provider')) return;
  const triggers = {
    own_name_or_trademark: 'Art. 25(1)(a)',
    substantial_modification: 'Art. 25(1)(b)',
    changed_purpose_to_high_risk: 'Art. 25(1)(c)',
  } as const;
  for (const trigger of found.answers.providerTriggers) {
    found.add(
      'becomes_provider',
      `art25_1_${trigger}`,
      "Considered the provider of this high-risk system, with the provider's obligations (Art. 16)",
      triggers[trigger],
      [`providerTriggers: ${trigger}`],
      highRiskFrom,
      ['provider'],
    );
  }
  if (found.answers.providerTriggers.length) found.roles.push('provider');
}

/** Art. 25(3): the manufacturer of an Annex I product whose safety component this is counts as its provider. */
function manufacturerAsProvider(found: Findings) {
  if (!found.hasCode('art6_1') || !found.roles.includes('product_manufacturer') || found.roles.includes('provider')) return;
  found.add(
    'becomes_provider',
    'art25_3',
    'The product manufacturer placing the product on the market under its own name is the provider of the high-risk AI system in it',
    'Art. 25(3)',
    ['roles: product_manufacturer', 'annexISafetyComponent: true'],
    found.dates.annexIProducts,
    ['provider'],
  );
  found.roles.push('provider');
}

/** What a high-risk system asks of each role the organisation holds, from the date its basis applies (Art. 113). */
function highRiskDuties(found: Findings, annexIII: AnnexIIIPoint[], intake: Pick<IntakeRequest, 'decisionRole'>, from: string) {
  const { answers } = found;
  const reachedBy = annexIII.length ? annexIII.map((point) => `annexIII: ${point}`) : ['annexISafetyComponent: true'];
  const pointOtherThan2 = annexIII.some((point) => point !== '2');
  found.owe(
    'provider_duty',
    'art16',
    'Provider of a high-risk system: requirements of Chapter III Section 2, quality management, conformity assessment, CE marking, registration',
    'Art. 16',
    reachedBy,
    ['provider'],
    from,
  );
  const vulnerable = answers.affectedGroups.filter((group) => group === 'children' || group === 'vulnerable_groups');
  if (vulnerable.length)
    found.owe(
      'provider_duty',
      'art9_9',
      'The risk management system considers whether the system is likely to harm people under 18 and other vulnerable groups',
      'Art. 9(9)',
      vulnerable.map((group) => `affectedGroups: ${group}`),
      ['provider'],
      from,
    );
  found.owe(
    'importer_duty',
    'art23',
    'Importer of a high-risk system: verify its conformity assessment, documentation and CE marking',
    'Art. 23',
    reachedBy,
    ['importer'],
    from,
  );
  found.owe(
    'distributor_duty',
    'art24',
    'Distributor of a high-risk system: verify its CE marking, declaration and instructions',
    'Art. 24',
    reachedBy,
    ['distributor'],
    from,
  );
  if (!found.roles.includes('deployer')) return;
  const deployer = (code: string, title: string, provision: string, restsOn: string[]) =>
    found.owe('deployer_duty', code, title, provision, restsOn, ['deployer'], from);
  deployer(
    'art26',
    'Deployer of a high-risk system: use per instructions, competent human oversight, monitoring, logs kept, serious incidents reported',
    'Art. 26',
    reachedBy,
  );
  if (answers.affectedGroups.includes('workers'))
    deployer('art26_7', "Inform workers' representatives and the affected workers before use at the workplace", 'Art. 26(7)', ['affectedGroups: workers']);
  if (pointOtherThan2 && intake.decisionRole !== 'informational')
    deployer('art26_11', 'Inform the people it makes or helps make decisions about that they are subject to it', 'Art. 26(11)', [
      `decisionRole: ${intake.decisionRole}`,
    ]);
  if (pointOtherThan2 && answers.legalOrSimilarlySignificantEffects)
    deployer('art86', 'Explain, on request, the role of the system in a decision with legal or similarly significant effects', 'Art. 86(1)', [
      'legalOrSimilarlySignificantEffects: true',
    ]);
  if (answers.biometrics.identification === 'post_remote' && answers.biometrics.forLawEnforcement)
    deployer(
      'art26_10',
      'Post remote biometric identification for law enforcement: authorisation for each targeted use, requested within 48 hours, and its use documented',
      'Art. 26(10)',
      ['biometrics.identification: post_remote', 'biometrics.forLawEnforcement: true'],
    );
  if (fundamentalRightsAssessmentOwed(answers, annexIII))
    deployer('art27', 'Fundamental-rights impact assessment before first use, and the market surveillance authority notified', 'Art. 27(1)', [
      ...answers.deployerKinds.map((kind) => `deployerKinds: ${kind}`),
      ...reachedBy,
    ]);
  if (pointOtherThan2 && answers.deployerKinds.includes('public_authority'))
    deployer('art49_3', 'A public authority registers its use of the system in the EU database', 'Art. 49(3)', ['deployerKinds: public_authority']);
}

/** Art. 27(1): public bodies and private providers of public services for Annex III systems (not point 2), and every deployer of 5(b) and 5(c). */
function fundamentalRightsAssessmentOwed(answers: AiActAnswers, annexIII: AnnexIIIPoint[]): boolean {
  const publicSide = answers.deployerKinds.includes('public_authority') || answers.deployerKinds.includes('public_service_provider');
  return (publicSide && annexIII.some((point) => point !== '2')) || annexIII.includes('5b') || annexIII.includes('5c');
}

/** Art. 50: transparency, owed whatever else the system is, by the role each paragraph names. */
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
  // Only a use not itself prohibited is informed about.
  const biometricUse = [
    answers.biometrics.emotionRecognition !== 'none' && !found.hasCode('art5_1_f') && 'biometrics.emotionRecognition',
    answers.biometrics.categorisation !== 'none' && !found.hasCode('art5_1_g') && 'biometrics.categorisation',
  ].filter((answer): answer is string => typeof answer === 'string');
  if (biometricUse.length)
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
      'Built on a general-purpose AI model: its provider owes you the documentation a downstream provider needs',
      'Art. 53(1)(b)',
      restsOn,
      from,
      found.roles,
    );
  if (use !== 'provides' && use !== 'provides_with_systemic_risk') return;
  // Providing the model makes the organisation its provider, whatever it is for the system.
  if (!found.roles.includes('provider')) found.roles.push('provider');
  found.add(
    'general_purpose_model',
    'art53',
    'Provider of a general-purpose AI model: technical documentation, copyright policy, training content summary (Art. 53(2) lifts the first two for open-source models without systemic risk)',
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

/** Art. 4: every provider and deployer sees to the AI literacy of its staff, from 2 February 2025. */
function aiLiteracy(found: Findings) {
  found.owe(
    'general_duty',
    'art4',
    'AI literacy: staff who operate or use the system have sufficient knowledge of it',
    'Art. 4',
    [`roles: ${found.roles.join(', ')}`],
    ['provider', 'deployer'],
    found.dates.prohibitions,
  );
}

/** Answers the rest of the intake puts in doubt: the triager checks them with the owner. */
function questionsFromTheIntake(found: Findings, intake: Pick<IntakeRequest, 'useCategory' | 'impactAreas'>) {
  const { answers } = found;
  const ask = (code: string, title: string, provision: string, restsOn: string) =>
    found.add('question', code, title, provision, [restsOn], found.dates.general, found.roles);
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

/**
 * Art. 2(12): free and open-source is out only when the system is neither prohibited, high-risk nor
 * under Art. 50, whoever owes the Art. 50 duty; a general-purpose model has its own exemption (Art. 53(2)).
 */
function excludedAsOpenSource(found: Findings): ScopeExclusionFound | undefined {
  const { answers } = found;
  if (!answers.exclusions.includes('free_open_source')) return undefined;
  const underArt50 = answers.transparency.length > 0 || answers.biometrics.emotionRecognition !== 'none' || answers.biometrics.categorisation !== 'none';
  const providesModel = answers.generalPurposeModel === 'provides' || answers.generalPurposeModel === 'provides_with_systemic_risk';
  if (found.has('prohibited') || found.has('high_risk') || underArt50 || providesModel) return undefined;
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
  authorisedIdentificationDuties(found);
  const annexIII = classifyHighRisk(found);
  const highRisk = found.has('high_risk');
  // Art. 113(c): a system high-risk only through an Annex I product takes its duties from 2 August 2027.
  const highRiskFrom = annexIII.length ? dates.general : dates.annexIProducts;
  providerByArt25(found, highRiskFrom);
  manufacturerAsProvider(found);
  generalPurposeModelDuties(found);
  if (highRisk) highRiskDuties(found, annexIII, intake, highRiskFrom);
  transparencyDuties(found);
  aiLiteracy(found);
  const openSource = excludedAsOpenSource(found);
  if (openSource) return outOfScope(answers, dates, openSource);
  questionsFromTheIntake(found, intake);
  return { rulesVersion: aiActRulesVersion, inScope: true, prohibited: found.has('prohibited'), highRisk, roles: found.roles, flags: found.flags };
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
