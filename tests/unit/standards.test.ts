import { describe, expect, it } from 'vitest';
import { clauseEvidence, controlEvidence, type EvidenceDocuments, type EvidenceEvent } from '../../domain/standards';

const evidenceOf = (events: EvidenceEvent[], documents?: EvidenceDocuments) => {
  const system = { provenance: 'in_house' as const, events, documents };
  const byId = new Map([...controlEvidence(system), ...clauseEvidence(system)].map((entry) => [entry.id, entry]));
  return {
    evidenced: (id: string) => byId.get(id as never)!.evidence.map((item) => item.record),
    findings: (id: string) => byId.get(id as never)!.findings.map((item) => item.shows),
    withEvidence: () => [...byId.values()].filter((entry) => entry.evidence.length).map((entry) => entry.id),
  };
};

const impact = (on: 'individuals' | 'groups' | 'society') => ({
  description: 'a harm',
  on,
  kind: 'harm' as const,
  severity: 'low' as const,
  likelihood: 'rare' as const,
});

describe('ISO/IEC 42001 evidence from the records', () => {
  it('takes a report to the authority as A.8.4 and A.8.5, not A.8.3, and a late one as a finding against A.8.5', () => {
    const onTime = evidenceOf([{ seq: 1, type: 'incident.reported_to_authority', data: { onTime: true } }]);
    expect(onTime.withEvidence()).toEqual(['A.8.4', 'A.8.5', '7.5']);
    expect(onTime.findings('A.8.5')).toEqual([]);
    const late = evidenceOf([{ seq: 1, type: 'incident.reported_to_authority', data: { onTime: false } }]);
    expect(late.findings('A.8.5')).toEqual(['a serious incident reported to the authority after its regulatory deadline']);
  });

  it('takes the activation gate as deployment (A.6.2.5), and a retirement not', () => {
    const retired = evidenceOf([
      { seq: 1, type: 'system.state_changed', data: { to: 'retiring' } },
      { seq: 2, type: 'retirement.retired', data: {} },
    ]);
    expect(retired.evidenced('A.6.2.5')).toEqual([]);
    expect(retired.evidenced('A.8.5')).toEqual(['retirement']);
    expect(evidenceOf([{ seq: 1, type: 'system.state_changed', data: { to: 'active' } }]).evidenced('A.6.2.5')).toEqual(['lifecycle_gate']);
  });

  it('takes a risk register as clauses 6.1.2, 6.1.3 and 8.3, and each control its signed-off risks name', () => {
    const documents: EvidenceDocuments = {
      assessments: [],
      registers: [{ version: 2, outcome: 'approved', content: { risks: [{ id: 'R1', title: 'Leaks', controls: ['A.7.4'] }] } }],
    };
    const registered = evidenceOf([{ seq: 7, type: 'risk_treatment.approved', data: { version: 2 } }], documents);
    expect(registered.withEvidence()).toEqual(['A.7.4', '6.1.2', '6.1.3', '7.5', '8.3']);
    expect(registered.evidenced('A.6.1.2')).toEqual([]);
    const unapproved = evidenceOf([{ seq: 7, type: 'risk_treatment.submitted', data: { version: 2 } }], {
      ...documents,
      registers: [{ ...documents.registers[0], outcome: null }],
    });
    expect(unapproved.evidenced('A.7.4')).toEqual([]);
  });

  it('takes A.5.5 only from an approved assessment that assessed impacts on society', () => {
    const approved = [{ seq: 3, type: 'assessment.approved', data: { version: 1 } }];
    const individualsOnly = evidenceOf(approved, {
      registers: [],
      assessments: [{ version: 1, outcome: 'approved', content: { impacts: [impact('individuals')] } }],
    });
    expect(individualsOnly.evidenced('A.5.4')).toEqual(['impact_assessment']);
    expect(individualsOnly.evidenced('A.5.5')).toEqual([]);
    const societal = evidenceOf(approved, { registers: [], assessments: [{ version: 1, outcome: 'approved', content: { impacts: [impact('society')] } }] });
    expect(societal.evidenced('A.5.5')).toEqual(['impact_assessment']);
    expect(societal.evidenced('A.5.4')).toEqual([]);
  });

  it('shows an expired review and a lapsed acceptance as findings, never as evidence, and the audit trail as clause 7.5', () => {
    const exceptions = evidenceOf([
      { seq: 1, type: 'review.expired' },
      { seq: 2, type: 'risk.acceptance_lapsed' },
    ]);
    expect(exceptions.evidenced('A.6.2.6')).toEqual([]);
    expect(exceptions.findings('A.6.2.6')).toEqual(['a periodic review that expired without the owner’s attestation']);
    expect(exceptions.findings('8.3')).toEqual(['an accepted risk whose acceptance lapsed without being accepted again']);
    expect(exceptions.evidenced('7.5')).toEqual(['audit_trail']);
    expect(exceptions.evidenced('A.6.2.8')).toEqual([]);
  });
});
