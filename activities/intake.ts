import { ApplicationFailure } from '@temporalio/activity';
import { insertAiActClassification } from '../db/aiActClassifications';
import { appendAuditEvent, auditEventData, auditEventRecorded, latestAuditEventData, latestIntakeVersion } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction, type Queryable } from '../db/pool';
import { insertSystem, lockSystem, setIntake, setSystemState, setTriage, type AiSystem } from '../db/systems';
import { decisionsOf } from '../db/tasks';
import { aiActSummary } from '../domain/aiActClassification';
import type { AuditEventType } from '../domain/auditEvents';
import { activityFailures } from '../domain/failures';
import { IllegalTransitionError, type LifecycleState } from '../domain/lifecycle';
import { canonicalJson, type Policy } from '../domain/policy';
import { isHigherTier, type IntakeRequest, type RiskTier } from '../domain/system';
import { triageDecisionSchema, type TriageVerdict } from '../domain/triageVerdict';
import type { TaskSubject } from '../domain/task';
import { triageInService, triageUnderPolicyAndLaw, type IntakeRevisedAtReview, type TriageResult } from '../domain/triage';
import type { ActivityDeps } from '.';

/** What a triage decides on: the intake's content, hashed so a decision can prove which version it saw. */
const intakeSubject = (intake: IntakeRequest, version: number): TaskSubject => ({
  hash: sha256Hex(canonicalJson(intake)),
  version,
});

/** A transition the lifecycle refuses will not succeed on a retry: fail the activity for good. */
export async function moveState(db: Queryable, system: AiSystem, to: LifecycleState) {
  try {
    return await setSystemState(db, system, to);
  } catch (error) {
    if (error instanceof IllegalTransitionError) {
      throw ApplicationFailure.create({ type: activityFailures.illegalTransition, message: error.message, nonRetryable: true });
    }
    throw error;
  }
}

/** A state change for the audit trail; one made while the system is suspended says so. */
export const stateChange = (move: { from: LifecycleState; held: boolean }, to: LifecycleState, reason: string) => ({
  from: move.from,
  to,
  reason,
  ...(move.held && { whileSuspended: true }),
});

/** Records an intake version's triage, and its EU AI Act classification when it has one, in the caller's transaction. */
async function recordTriageIn(db: Queryable, input: { systemId: string; version: number; triage: TriageResult }) {
  const { aiAct, ...triage } = input.triage;
  const key = `${input.systemId}:triage:${input.version}`;
  // Run again after it committed (a lost workflow task): done, and the system's version not bumped twice.
  if (await auditEventRecorded(db, key)) return;
  await setTriage(db, input.systemId, triage);
  await appendAuditEvent(db, {
    key,
    type: 'system.triaged',
    systemId: input.systemId,
    data: { intakeVersion: input.version, ...triage },
  });
  if (!aiAct) return;
  await insertAiActClassification(db, input.systemId, input.version, aiAct);
  await appendAuditEvent(db, {
    key: `${input.systemId}:ai-act-classification:${input.version}`,
    type: 'system.ai_act_classified',
    systemId: input.systemId,
    data: { intakeVersion: input.version, ...aiActSummary(aiAct) },
  });
}

/**
 * A triage override stands against a revision that triggers the very rule it overrode (the exception a
 * lead found still applies); a revision that triggers another rule is judged on its own.
 */
async function standingOverride(db: Queryable, system: AiSystem, revised: TriageResult): Promise<TriageResult> {
  if (system.triageRule !== 'override') return revised;
  const overridden = (await latestAuditEventData(db, system.id, 'system.triage_overridden'))?.ruleId;
  if (overridden !== revised.ruleId) return revised;
  return { ...revised, tier: system.riskTier!, ruleId: 'override', reason: `${system.triageReason} (the override of ${overridden} stands)` };
}

/** Stores a version of the intake with its audit event, in the caller's transaction. */
async function storeIntakeVersion(
  db: Queryable,
  input: {
    systemId: string;
    intake: IntakeRequest;
    version: number;
    actorId: string;
    key: string;
    reason: 'revision' | 'amendment' | 'review';
    more?: Record<string, unknown>;
  },
) {
  await setIntake(db, input.systemId, input.intake);
  await appendAuditEvent(db, {
    key: input.key,
    type: 'system.intake_revised',
    systemId: input.systemId,
    actorId: input.actorId,
    data: { version: input.version, reason: input.reason, intakeHash: intakeSubject(input.intake, input.version).hash, ...input.more },
  });
}

export function createIntakeActivities({ pool }: ActivityDeps) {
  async function recordTriage(input: { systemId: string; version: number; triage: TriageResult }) {
    await inTransaction(pool, async (db) => {
      await lockSystem(db, input.systemId);
      await recordTriageIn(db, input);
    });
  }

  return {
    async registerSystem(input: { systemId: string; ownerId: string; intake: IntakeRequest; policyVersion: string }): Promise<TaskSubject> {
      const subject = intakeSubject(input.intake, 1);
      await inTransaction(pool, async (db) => {
        await insertSystem(db, { id: input.systemId, ownerId: input.ownerId, intake: input.intake, policyVersion: input.policyVersion });
        await appendAuditEvent(db, {
          key: `${input.systemId}:registered`,
          type: 'system.registered',
          systemId: input.systemId,
          actorId: input.ownerId,
          data: { name: input.intake.name, policyVersion: input.policyVersion, intakeHash: subject.hash },
        });
      });
      return subject;
    },

    /** Triages an intake version under the organisation's rules and the law, records it, and answers with it. */
    async triageAndRecord(input: {
      systemId: string;
      version: number;
      intake: IntakeRequest;
      policy: Pick<Policy, 'triage' | 'aiAct'>;
    }): Promise<TriageResult> {
      const triage = triageUnderPolicyAndLaw(input.intake, input.policy);
      await recordTriage({ systemId: input.systemId, version: input.version, triage });
      return triage;
    },

    recordTriage,

    /** A new version of the intake: a revision the owner was asked for, or an amendment while triage is open. */
    async reviseIntake(input: { systemId: string; version: number; intake: IntakeRequest; actorId: string; reason: 'revision' | 'amendment' }) {
      const subject = intakeSubject(input.intake, input.version);
      const key = `${input.systemId}:intake:${input.version}`;
      await inTransaction(pool, async (db) => {
        await lockSystem(db, input.systemId);
        if (await auditEventRecorded(db, key)) return;
        await storeIntakeVersion(db, { ...input, key });
      });
      return subject;
    },

    /**
     * The intake as its owner revised it at a periodic review: a new version, triaged and classified
     * again under the policy the review runs under, the tier rising with it (never falling: triageInService).
     * Run again after it committed, it answers what it recorded.
     */
    async reviseIntakeAtReview(input: {
      reviewId: string;
      systemId: string;
      intake: IntakeRequest;
      actorId: string;
      policy: Pick<Policy, 'triage' | 'aiAct'>;
    }): Promise<IntakeRevisedAtReview> {
      const key = `review:${input.reviewId}:intake-revised`;
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const recorded = await auditEventData(db, key);
        if (recorded) return recorded.revision as IntakeRevisedAtReview;
        const version = (await latestIntakeVersion(db, input.systemId)) + 1;
        const triage = triageInService(system.riskTier, await standingOverride(db, system, triageUnderPolicyAndLaw(input.intake, input.policy)));
        const revision: IntakeRevisedAtReview = {
          version,
          tier: triage.tier,
          ruleId: triage.ruleId,
          reason: triage.reason,
          prohibited: triage.tier === 'prohibited',
        };
        await storeIntakeVersion(db, { ...input, key, version, reason: 'review', more: { reviewId: input.reviewId, revision } });
        await recordTriageIn(db, { systemId: input.systemId, version, triage });
        return revision;
      });
    },

    /**
     * Follows the verdicts the triage deciders gave with their acceptance of the version accepted. Each
     * acceptor stands for a tier: the one they overrode it to, else the one triage gave; the highest is
     * followed, so a lower tier takes every acceptor. An override followed sets the tier (rule
     * `override`), audited with who overrode what and why; otherwise the confirmations are recorded.
     * Answers the tier the system goes on with.
     */
    async applyTriageVerdict(input: { systemId: string; taskId: string; subjectHash: string }): Promise<{ tier: RiskTier }> {
      const key = `${input.taskId}:triage-verdict`;
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const triagedTier = system.riskTier!;
        if (await auditEventRecorded(db, key)) return { tier: triagedTier };
        const acceptances = (await decisionsOf(db, input.taskId))
          .filter((decision) => decision.choice === 'accept' && decision.snapshotHash === input.subjectHash)
          .map((decision) => ({ actorId: decision.actorId, verdict: triageDecisionSchema.safeParse(decision.submission).data?.classification }));
        const verdicts = acceptances.flatMap(({ actorId, verdict }) => (verdict ? [{ actorId, ...verdict }] : []));
        if (verdicts.length === 0) return { tier: triagedTier };
        const standsFor = (verdict: TriageVerdict | undefined) => (verdict?.verdict === 'overridden' ? verdict.tier : triagedTier);
        const tier = acceptances.map(({ verdict }) => standsFor(verdict)).reduce((highest, next) => (isHigherTier(next, highest) ? next : highest));
        const triaged = { tier: triagedTier, ruleId: system.triageRule, taskId: input.taskId, verdicts };
        type Override = Extract<(typeof verdicts)[number], { verdict: 'overridden' }>;
        const override = verdicts.find((verdict): verdict is Override => verdict.verdict === 'overridden' && verdict.tier === tier && tier !== triagedTier);
        if (!override) {
          const confirmedBy = verdicts.find((verdict) => verdict.verdict === 'confirmed')?.actorId ?? null;
          await appendAuditEvent(db, { key, type: 'system.triage_confirmed', systemId: input.systemId, actorId: confirmedBy, data: triaged });
          return { tier: triagedTier };
        }
        await setTriage(db, input.systemId, { tier, ruleId: 'override', reason: override.reason });
        await appendAuditEvent(db, {
          key,
          type: 'system.triage_overridden',
          systemId: input.systemId,
          actorId: override.actorId,
          data: { ...triaged, overriddenTo: tier, reason: override.reason },
        });
        return { tier };
      });
    },

    /** An event in a system's life that changes no state, such as an intake whose triage expired. */
    async recordSystemEvent(input: { systemId: string; key: string; type: AuditEventType; data: Record<string, unknown> }) {
      await inTransaction(pool, (db) => appendAuditEvent(db, { key: input.key, type: input.type, systemId: input.systemId, data: input.data }));
    },

    /** Puts the system into service, assessed as of now, with its next periodic review due. */
    async activateSystem(input: { systemId: string; nextReviewDue: string; reason: string; eventKey: string }) {
      await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const move = await moveState(db, system, 'active');
        if (!move) return;
        await db.query('UPDATE ai_systems SET next_review_due = $2, last_reviewed_at = now() WHERE id = $1', [input.systemId, input.nextReviewDue]);
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          data: { ...stateChange(move, 'active', input.reason), nextReviewDue: input.nextReviewDue },
        });
      });
    },

    async transitionSystem(input: { systemId: string; to: LifecycleState; reason: string; eventKey: string }) {
      await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const move = await moveState(db, system, input.to);
        if (!move) return;
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          data: stateChange(move, input.to, input.reason),
        });
      });
    },
  };
}
