import type { ImpactAssessment } from './assessment';
import type { RiskRegister } from './risk';
import type { provenances } from './system';

/** ISO/IEC 42001:2023 Annex A controls, identifiers and short titles (../shared/STANDARDS.md). */
export const annexAControls = [
  { id: 'A.2.2', title: 'AI policy' },
  { id: 'A.2.3', title: 'Alignment with other organizational policies' },
  { id: 'A.2.4', title: 'Review of the AI policy' },
  { id: 'A.3.2', title: 'AI roles and responsibilities' },
  { id: 'A.3.3', title: 'Reporting of concerns' },
  { id: 'A.4.2', title: 'Resource documentation' },
  { id: 'A.4.3', title: 'Data resources' },
  { id: 'A.4.4', title: 'Tooling resources' },
  { id: 'A.4.5', title: 'System and computing resources' },
  { id: 'A.4.6', title: 'Human resources' },
  { id: 'A.5.2', title: 'AI system impact assessment process' },
  { id: 'A.5.3', title: 'Documentation of AI system impact assessments' },
  { id: 'A.5.4', title: 'Assessing AI system impact on individuals or groups of individuals' },
  { id: 'A.5.5', title: 'Assessing societal impacts of AI systems' },
  { id: 'A.6.1.2', title: 'Objectives for responsible development of AI system' },
  { id: 'A.6.1.3', title: 'Processes for responsible AI system design and development' },
  { id: 'A.6.2.2', title: 'AI system requirements and specification' },
  { id: 'A.6.2.3', title: 'Documentation of AI system design and development' },
  { id: 'A.6.2.4', title: 'AI system verification and validation' },
  { id: 'A.6.2.5', title: 'AI system deployment' },
  { id: 'A.6.2.6', title: 'AI system operation and monitoring' },
  { id: 'A.6.2.7', title: 'AI system technical documentation' },
  { id: 'A.6.2.8', title: 'AI system recording of event logs' },
  { id: 'A.7.2', title: 'Data for development and enhancement of AI system' },
  { id: 'A.7.3', title: 'Acquisition of data' },
  { id: 'A.7.4', title: 'Quality of data for AI systems' },
  { id: 'A.7.5', title: 'Data provenance' },
  { id: 'A.7.6', title: 'Data preparation' },
  { id: 'A.8.2', title: 'System documentation and information for users' },
  { id: 'A.8.3', title: 'External reporting' },
  { id: 'A.8.4', title: 'Communication of incidents' },
  { id: 'A.8.5', title: 'Information for interested parties' },
  { id: 'A.9.2', title: 'Processes for responsible use of AI systems' },
  { id: 'A.9.3', title: 'Objectives for responsible use of AI system' },
  { id: 'A.9.4', title: 'Intended use of the AI system' },
  { id: 'A.10.2', title: 'Allocating responsibilities' },
  { id: 'A.10.3', title: 'Suppliers' },
  { id: 'A.10.4', title: 'Customers' },
] as const;
export type AnnexAControlId = (typeof annexAControls)[number]['id'];

/** ISO/IEC 42001:2023 clauses of the management system the platform's records evidence, beside Annex A. */
export const managementSystemClauses = [
  { id: '6.1.2', title: 'AI risk assessment' },
  { id: '6.1.3', title: 'AI risk treatment' },
  { id: '6.1.4', title: 'AI system impact assessment' },
  { id: '7.5', title: 'Documented information' },
  { id: '8.2', title: 'AI risk assessment (operation)' },
  { id: '8.3', title: 'AI risk treatment (operation)' },
  { id: '8.4', title: 'AI system impact assessment (operation)' },
] as const;
export type ClauseId = (typeof managementSystemClauses)[number]['id'];

/** A record aims-flow keeps about a system, named as the evidence pack names it. */
export type EvidenceRecord =
  | 'intake'
  | 'triage'
  | 'impact_assessment'
  | 'risk_treatment'
  | 'task_assignment'
  | 'decisions'
  | 'lifecycle_gate'
  | 'audit_trail'
  | 'periodic_review'
  | 'incident'
  | 'retirement';

/** One audit event of the system, as the evidence rules read it. */
export interface EvidenceEvent {
  seq: number;
  type: string;
  data?: Record<string, unknown>;
}

/** The documents of the system the rules look into: what an approved assessment assessed, which controls a register names. */
export interface EvidenceDocuments {
  assessments: readonly { version: number; outcome: string | null; content: Pick<ImpactAssessment, 'impacts'> }[];
  registers: readonly {
    version: number;
    outcome: string | null;
    content: { risks: readonly Pick<RiskRegister['risks'][number], 'id' | 'title' | 'controls'>[] };
  }[];
}

export interface ControlEvidenceRule {
  record: EvidenceRecord;
  /** Audit event types that carry the record; `*` is every event of the system. */
  eventTypes: readonly string[];
  controls?: readonly AnnexAControlId[];
  clauses?: readonly ClauseId[];
  /** What the record shows for these controls, in an auditor's words; no more than it holds. */
  shows: string;
  /** Only for systems of these provenances: a supplier exists only for a bought or embedded system. */
  provenanceIn?: readonly (typeof provenances)[number][];
  /** Only the events of those types this holds for. */
  where?: (event: EvidenceEvent, documents: EvidenceDocuments) => boolean;
}

const movedTo = (state: string) => (event: EvidenceEvent) => event.data?.to === state;
const approvedAssessmentAssessed =
  (...on: ImpactAssessment['impacts'][number]['on'][]) =>
  (event: EvidenceEvent, documents: EvidenceDocuments) =>
    documents.assessments.some(
      (assessment) => assessment.version === event.data?.version && assessment.content.impacts.some((impact) => on.includes(impact.on)),
    );

/**
 * Which Annex A controls and management-system clauses the platform's records evidence. A control no
 * rule names has no record in aims-flow, and the evidence pack says so with an empty list.
 */
export const controlEvidenceRules: readonly ControlEvidenceRule[] = [
  {
    record: 'intake',
    eventTypes: ['system.registered', 'system.intake_revised'],
    controls: ['A.9.4'],
    shows: 'intended use as the owner filed it and every revision: purpose, use category, decision role, human oversight, affected parties',
  },
  {
    record: 'intake',
    eventTypes: ['system.registered'],
    controls: ['A.3.2'],
    shows: 'a named system owner accountable for the system from registration on',
  },
  {
    record: 'intake',
    eventTypes: ['system.registered', 'system.intake_revised'],
    controls: ['A.4.3'],
    shows: 'the categories of data the system processes (personal, special category), at category level only',
  },
  {
    record: 'intake',
    eventTypes: ['system.registered', 'system.intake_revised'],
    controls: ['A.10.2', 'A.10.3'],
    shows: 'the supplier of a bought or embedded system named beside the owner accountable in the organisation',
    provenanceIn: ['vendor', 'embedded_third_party'],
  },
  {
    record: 'triage',
    eventTypes: ['system.triaged'],
    controls: ['A.5.2'],
    shows:
      'every intake version screened against the policy’s risk-tier rules, with the rule that fired: the threshold step of the impact assessment process, not the assessment itself',
  },
  {
    record: 'impact_assessment',
    eventTypes: ['assessment.submitted', 'assessment.approved', 'assessment.rejected', 'assessment.changes_requested'],
    controls: ['A.5.2', 'A.5.3'],
    clauses: ['6.1.4', '8.4'],
    shows: 'each version of the impact assessment stored with its content hash, and the specialist reviews that approved, rejected or sent it back',
  },
  {
    record: 'impact_assessment',
    eventTypes: ['assessment.approved'],
    controls: ['A.5.4'],
    shows: 'an approved assessment naming the benefits and harms to individuals or groups, with the impact level of the worst harm',
    where: approvedAssessmentAssessed('individuals', 'groups'),
  },
  {
    record: 'impact_assessment',
    eventTypes: ['assessment.approved'],
    controls: ['A.5.5'],
    shows: 'an approved assessment naming the benefits and harms of the system to society',
    where: approvedAssessmentAssessed('society'),
  },
  {
    record: 'risk_treatment',
    eventTypes: ['risk_treatment.submitted', 'risk_treatment.approved', 'risk_treatment.rejected', 'risk_treatment.changes_requested'],
    clauses: ['6.1.2', '6.1.3', '8.3'],
    shows:
      'a risk register per version (sources, likelihood, impact, treatment, Annex A controls applied, residual rating, owner, acceptance expiry) and the sign-off chain that decided it by residual risk',
  },
  {
    record: 'task_assignment',
    eventTypes: ['task.opened', 'task.step_opened', 'task.delegated', 'task.reassigned', 'task.escalated', 'task.assignment_gap'],
    controls: ['A.3.2'],
    shows: 'who was responsible for each decision step, resolved by role when it opened, and every delegation, reassignment and escalation',
  },
  {
    record: 'decisions',
    eventTypes: ['task.decided'],
    controls: ['A.3.2'],
    shows: 'each decision with who made it, when, on behalf of whom and the snapshot hash of what they decided on',
  },
  {
    record: 'lifecycle_gate',
    eventTypes: ['task.decided', 'task.closed', 'system.state_changed'],
    controls: ['A.9.2'],
    shows: 'the system moved on in its life cycle only after a recorded governance decision or the policy’s timeout outcome',
  },
  {
    record: 'lifecycle_gate',
    eventTypes: ['system.state_changed'],
    controls: ['A.6.2.5'],
    shows: 'put into service only through the activation gate: triage, and the impact assessment and risk sign-off its tier requires, decided first',
    where: movedTo('active'),
  },
  {
    record: 'periodic_review',
    eventTypes: ['review.opened', 'review.completed', 'risk.reaccepted'],
    controls: ['A.6.2.6'],
    shows: 'periodic reviews on the tier’s schedule with the owner’s attestation, re-assessments they started, and accepted risks re-accepted at their expiry',
  },
  {
    record: 'incident',
    eventTypes: ['incident.reported', 'incident.acknowledged', 'incident.contained', 'incident.resolved', 'incident.closed'],
    controls: ['A.3.3'],
    shows:
      'incidents reported by anyone, with acknowledgement, containment (and any suspension), resolution and the governance lead’s closure, each against its severity’s deadline',
  },
  {
    record: 'incident',
    eventTypes: ['incident.reported_to_authority'],
    controls: ['A.8.4', 'A.8.5'],
    shows: 'a serious incident reported to the authority, with the date of the report against its regulatory deadline',
  },
  {
    record: 'retirement',
    eventTypes: ['retirement.approved', 'retirement.checklist_item_done', 'retirement.retired'],
    controls: ['A.8.5'],
    shows:
      'the approved retirement with its checklist evidence (data retention and disposal, access revoked, users and affected parties told, documentation archived) and the final sign-off',
  },
  {
    record: 'audit_trail',
    eventTypes: ['*'],
    clauses: ['7.5'],
    shows:
      'a hash-chained, append-only record of every governance event of the system, verified end to end; the event logs the AI system itself writes (A.6.2.8) are kept by that system, not here',
  },
];

/** What went wrong against a control or clause: shown as a finding, never counted as evidence for it. */
export const controlFindingRules: readonly ControlEvidenceRule[] = [
  {
    record: 'periodic_review',
    eventTypes: ['review.expired'],
    controls: ['A.6.2.6'],
    shows: 'a periodic review that expired without the owner’s attestation',
  },
  {
    record: 'periodic_review',
    eventTypes: ['risk.acceptance_lapsed'],
    clauses: ['8.3'],
    shows: 'an accepted risk whose acceptance lapsed without being accepted again',
  },
  {
    record: 'incident',
    eventTypes: ['incident.reported_to_authority'],
    controls: ['A.8.5'],
    shows: 'a serious incident reported to the authority after its regulatory deadline',
    where: (event) => event.data?.onTime === false,
  },
];

export interface EvidenceItem {
  record: EvidenceRecord;
  shows: string;
  auditEventSeqs: number[];
}

export interface ControlEvidence {
  id: AnnexAControlId | ClauseId;
  title: string;
  /** Empty when aims-flow holds no record for the control. */
  evidence: EvidenceItem[];
  /** Exceptions against it: an expired review, a late report. */
  findings: EvidenceItem[];
}

interface EvidencedSystem {
  provenance: (typeof provenances)[number];
  events: readonly EvidenceEvent[];
  documents?: EvidenceDocuments;
}

const noDocuments: EvidenceDocuments = { assessments: [], registers: [] };

function itemsFor(
  system: EvidencedSystem,
  rules: readonly ControlEvidenceRule[],
  names: (rule: ControlEvidenceRule) => readonly string[] | undefined,
  id: string,
) {
  const documents = system.documents ?? noDocuments;
  return rules
    .filter((rule) => names(rule)?.includes(id) && (!rule.provenanceIn || rule.provenanceIn.includes(system.provenance)))
    .map((rule) => ({
      record: rule.record,
      shows: rule.shows,
      auditEventSeqs: system.events
        .filter((event) => (rule.eventTypes.includes('*') || rule.eventTypes.includes(event.type)) && (!rule.where || rule.where(event, documents)))
        .map((event) => event.seq),
    }))
    .filter((item) => item.auditEventSeqs.length > 0);
}

/** The Annex A controls each risk of a signed-off register names, as evidence of those controls. */
function controlsNamedByRisks(system: EvidencedSystem, id: string): EvidenceItem[] {
  const approvals = system.events.filter((event) => event.type === 'risk_treatment.approved');
  return (system.documents ?? noDocuments).registers.flatMap((register) => {
    const approval = approvals.find((event) => event.data?.version === register.version);
    if (register.outcome !== 'approved' || !approval) return [];
    return register.content.risks
      .filter((risk) => risk.controls.includes(id))
      .map((risk) => ({
        record: 'risk_treatment' as const,
        shows: `applied to risk ${risk.id} (${risk.title}) in the signed-off register, version ${register.version}`,
        auditEventSeqs: [approval.seq],
      }));
  });
}

/** For every Annex A control, the records of one system that evidence it, and the findings against it: a rule counts only when its events exist. */
export function controlEvidence(system: EvidencedSystem): ControlEvidence[] {
  return annexAControls.map((control) => ({
    id: control.id,
    title: control.title,
    evidence: [...itemsFor(system, controlEvidenceRules, (rule) => rule.controls, control.id), ...controlsNamedByRisks(system, control.id)],
    findings: itemsFor(system, controlFindingRules, (rule) => rule.controls, control.id),
  }));
}

/** For the management-system clauses, the same. */
export function clauseEvidence(system: EvidencedSystem): ControlEvidence[] {
  return managementSystemClauses.map((clause) => ({
    id: clause.id,
    title: clause.title,
    evidence: itemsFor(system, controlEvidenceRules, (rule) => rule.clauses, clause.id),
    findings: itemsFor(system, controlFindingRules, (rule) => rule.clauses, clause.id),
  }));
}
