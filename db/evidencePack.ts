import { clauseEvidence, controlEvidence, type ControlEvidence } from '../domain/standards';
import { chainProof, type ChainProof } from '../domain/auditCheckpoint';
import { trustedAuditCheckpoint } from './auditCheckpoint';
import { chainedAuditTrail, type ChainedAuditEvent } from './auditVerify';
import { impactAssessmentsOf, riskRegistersOf, type ImpactAssessmentRecord, type RiskRegisterRecord } from './assessments';
import type { Pool } from './pool';
import { principalsByIds } from './principals';
import { incidentsOf, type IncidentRecord } from './incidents';
import { retirementsOf, type RetirementRecord } from './retirements';
import { reviewsOf, type ReviewRecord } from './reviews';
import type { AiSystem } from './systems';
import { decisionsOfTasks, listTasks, type DecisionRecord, type TaskRecord } from './tasks';

/**
 * Everything aims-flow records about one AI system, for an auditor.
 */
export interface EvidencePack {
  generatedAt: string;
  system: AiSystem;
  intake: AiSystem['intake'];
  triage: { tier: AiSystem['riskTier']; rule: string | null; reason: string | null; policyVersion: string };
  tasks: (TaskRecord & { decisions: DecisionRecord[] })[];
  assessments: ImpactAssessmentRecord[];
  riskRegister: RiskRegisterRecord[];
  incidents: IncidentRecord[];
  reviews: ReviewRecord[];
  /** Each retirement request with its verdict and every round of its checklist evidence. */
  retirements: RetirementRecord[];
  auditTrail: ChainedAuditEvent[];
  controls: ControlEvidence[];
  /** The management-system clauses (ISO/IEC 42001 6.1.2-8.4) the same records evidence. */
  clauses: ControlEvidence[];
  /** Names of everyone the pack mentions, by principal id. */
  people: Record<string, { name: string; email: string }>;
  /**
   * The checkpoint a trusted verifier signed last, how much of this system's trail it covers, and
   * whether each of the system's events links to its neighbours. The chain is not walked for the pack:
   * oversight roles walk it in full at GET /api/v1/audit/verify.
   */
  chain: ChainProof;
}

const tasksOfSystemLimit = 10_000;

function evidenceOfStandards(system: AiSystem, events: ChainedAuditEvent[], assessments: ImpactAssessmentRecord[], registers: RiskRegisterRecord[]) {
  const evidenced = { provenance: system.intake.provenance, events, documents: { assessments, registers } };
  return { controls: controlEvidence(evidenced), clauses: clauseEvidence(evidenced) };
}

/** `trustedCheckpointKeys`: the verifier's public keys, under which a checkpoint vouches for the chain. */
export async function loadEvidencePack(pool: Pool, system: AiSystem, trustedCheckpointKeys: readonly string[]): Promise<EvidencePack> {
  const [tasks, trail, trusted, assessments, riskRegister, retirements, incidents, reviews] = await Promise.all([
    listTasks(pool, { systemId: system.id, limit: tasksOfSystemLimit }),
    chainedAuditTrail(pool, system.id),
    trustedAuditCheckpoint(pool, trustedCheckpointKeys),
    impactAssessmentsOf(pool, system.id),
    riskRegistersOf(pool, system.id),
    retirementsOf(pool, system.id),
    incidentsOf(pool, system.id),
    reviewsOf(pool, system.id, 1000),
  ]);
  const auditTrail = trail.events;
  tasks.sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id));
  const decisions = await decisionsOfTasks(
    pool,
    tasks.map((task) => task.id),
  );
  const withDecisions = tasks.map((task) => ({ ...task, decisions: decisions.get(task.id) ?? [] }));

  const mentioned = new Set<string>([system.ownerId]);
  for (const task of withDecisions) {
    mentioned.add(task.requesterId);
    for (const decision of task.decisions) {
      mentioned.add(decision.actorId);
      if (decision.onBehalfOf) mentioned.add(decision.onBehalfOf);
    }
  }
  for (const event of auditTrail) if (event.actorId) mentioned.add(event.actorId);
  const people = Object.fromEntries(
    (await principalsByIds(pool, [...mentioned])).map((principal) => [principal.id, { name: principal.name, email: principal.email }]),
  );

  return {
    generatedAt: new Date().toISOString(),
    system,
    intake: system.intake,
    triage: { tier: system.riskTier, rule: system.triageRule, reason: system.triageReason, policyVersion: system.policyVersion },
    tasks: withDecisions,
    assessments,
    riskRegister,
    incidents,
    reviews,
    retirements,
    auditTrail,
    ...evidenceOfStandards(system, auditTrail, assessments, riskRegister),
    people,
    chain: chainProof(trusted, { eventSeqs: auditTrail.map((event) => event.seq), ...(trail.firstBrokenLink && { firstBrokenLink: trail.firstBrokenLink }) }),
  };
}
