import { appendAuditEvent } from '../db/audit';
import { sha256Hex } from '../db/hashing';
import { inTransaction } from '../db/pool';
import {
  checklistRound,
  completeChecklistItem,
  insertRetirement,
  lockRetirement,
  setRetirementStatus,
  startChecklistRound,
  upsertChecklistItem,
} from '../db/retirements';
import { effectiveState, getSystem, lockSystem } from '../db/systems';
import { RecordNotFoundError } from '../domain/failures';
import { canTransition } from '../domain/lifecycle';
import { canonicalJson } from '../domain/policy';
import type { RetirementRequest } from '../domain/retirement';
import type { RiskTier } from '../domain/system';
import type { TaskKind, TaskSubject } from '../domain/task';
import { moveState } from './intake';
import type { ActivityDeps } from '.';

interface ChecklistItemRef {
  retirementId: string;
  systemId: string;
  round: number;
  item: TaskKind;
  taskId: string;
}

/** The retirement process: its request, verdict, checklist evidence and the end of the system's life. */
export function createRetirementActivities({ pool }: ActivityDeps) {
  return {
    /** The system's owner and tier as its row holds them now: the retirement's tasks are opened with them. */
    async systemToRetire(input: { systemId: string }): Promise<{ ownerId: string; tier: RiskTier | null }> {
      const system = await getSystem(pool, input.systemId);
      if (!system) throw new RecordNotFoundError(`AI system ${input.systemId}`);
      return { ownerId: system.ownerId, tier: system.riskTier };
    },

    /** Records the request; its hash is what the approval and the checklist decide on. */
    async recordRetirementRequest(input: {
      retirementId: string;
      systemId: string;
      workflowId: string;
      requesterId: string;
      request: RetirementRequest;
    }): Promise<TaskSubject> {
      const subject = { hash: sha256Hex(canonicalJson(input.request)), version: 1 };
      await inTransaction(pool, async (db) => {
        await insertRetirement(db, {
          id: input.retirementId,
          systemId: input.systemId,
          workflowId: input.workflowId,
          requesterId: input.requesterId,
          reason: input.request.reason,
          retireOn: input.request.retireOn,
          requestHash: subject.hash,
        });
        await appendAuditEvent(db, {
          key: `${input.retirementId}:requested`,
          type: 'retirement.requested',
          systemId: input.systemId,
          actorId: input.requesterId,
          data: { retirementId: input.retirementId, reason: input.request.reason, retireOn: input.request.retireOn, requestHash: subject.hash },
        });
      });
      return subject;
    },

    /** The request did not go through: the system stays as it was, and the record says why. */
    async closeRetirementRequest(input: {
      retirementId: string;
      systemId: string;
      status: 'rejected' | 'withdrawn' | 'expired';
      actorId: string | null;
      reason: string;
    }) {
      await inTransaction(pool, async (db) => {
        const retirement = await lockRetirement(db, input.retirementId);
        if (retirement.status === 'requested') await setRetirementStatus(db, input.retirementId, input.status, input.reason);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:${input.status}`,
          type: `retirement.${input.status}`,
          systemId: input.systemId,
          actorId: input.actorId,
          data: { retirementId: input.retirementId, reason: input.reason },
        });
      });
    },

    /**
     * Approval takes the system out of service: state 'retiring', in one transaction with the verdict.
     * A system whose life ended meanwhile (its intake rejected or withdrawn) cannot retire; the request
     * closes as rejected, with that reason.
     */
    async approveRetirement(input: { retirementId: string; systemId: string; approvedBy: string[] }): Promise<{ retiring: boolean }> {
      return inTransaction(pool, async (db) => {
        const retirement = await lockRetirement(db, input.retirementId);
        const system = await lockSystem(db, input.systemId);
        if (retirement.status !== 'requested') return { retiring: retirement.status === 'retiring' };
        if (!canTransition(effectiveState(system), 'retiring')) {
          const reason = `approved, but an AI system in state '${effectiveState(system)}' can no longer retire`;
          await setRetirementStatus(db, input.retirementId, 'rejected', reason);
          await appendAuditEvent(db, {
            key: `${input.retirementId}:rejected`,
            type: 'retirement.rejected',
            systemId: input.systemId,
            data: { retirementId: input.retirementId, reason },
          });
          return { retiring: false };
        }
        await setRetirementStatus(db, input.retirementId, 'retiring', null);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:approved`,
          type: 'retirement.approved',
          systemId: input.systemId,
          actorId: input.approvedBy.at(-1) ?? null,
          data: { retirementId: input.retirementId, approvedBy: input.approvedBy },
        });
        await moveState(db, system, 'retiring');
        await appendAuditEvent(db, {
          key: `${input.retirementId}:state:retiring`,
          type: 'system.state_changed',
          systemId: input.systemId,
          data: { from: system.state, to: 'retiring', reason: `retirement approved: ${retirement.reason}` },
        });
        return { retiring: true };
      });
    },

    /** A round of the checklist: the first after approval, another each time the sign-off asks for changes. */
    async openRetirementChecklist(input: { retirementId: string; systemId: string; round: number; changesRequestedBy: string | null }) {
      await inTransaction(pool, async (db) => {
        await startChecklistRound(db, input.retirementId, input.round);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:round-${input.round}:opened`,
          type: 'retirement.checklist_opened',
          systemId: input.systemId,
          actorId: input.changesRequestedBy,
          data: { retirementId: input.retirementId, round: input.round },
        });
      });
    },

    /** The task now holding a checklist item; one reopened for the governance leads says so on the timeline. */
    async recordChecklistItemTask(input: ChecklistItemRef & { reopened: number }) {
      await inTransaction(pool, async (db) => {
        await upsertChecklistItem(db, input);
        if (input.reopened === 0) return;
        await appendAuditEvent(db, {
          key: `${input.retirementId}:round-${input.round}:${input.item}:reopened-${input.reopened}`,
          type: 'retirement.checklist_item_reopened',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { retirementId: input.retirementId, round: input.round, item: input.item, reopened: input.reopened, role: 'governance_lead' },
        });
      });
    },

    async recordChecklistEvidence(input: ChecklistItemRef & { evidence: string; doneBy: string }) {
      await inTransaction(pool, async (db) => {
        await completeChecklistItem(db, input);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:round-${input.round}:${input.item}:done`,
          type: 'retirement.checklist_item_done',
          systemId: input.systemId,
          taskId: input.taskId,
          actorId: input.doneBy,
          data: { retirementId: input.retirementId, round: input.round, item: input.item, evidence: input.evidence },
        });
      });
    },

    /** The round's evidence, hashed: what the final sign-off decides on. */
    async closeRetirementChecklist(input: { retirementId: string; systemId: string; round: number }): Promise<TaskSubject> {
      return inTransaction(pool, async (db) => {
        const items = await checklistRound(db, input.retirementId, input.round);
        const evidence = items.map(({ item, evidence, doneBy }) => ({ item, evidence, doneBy }));
        const subject = { hash: sha256Hex(canonicalJson(evidence)), version: input.round };
        await appendAuditEvent(db, {
          key: `${input.retirementId}:round-${input.round}:completed`,
          type: 'retirement.checklist_completed',
          systemId: input.systemId,
          data: { retirementId: input.retirementId, round: input.round, evidenceHash: subject.hash },
        });
        return subject;
      });
    },

    /** Signed off: the system is retired, in one transaction with the record. Nothing it left behind is deleted. */
    async completeRetirement(input: { retirementId: string; systemId: string; signedOffBy: string; rounds: number }) {
      await inTransaction(pool, async (db) => {
        const retirement = await lockRetirement(db, input.retirementId);
        if (retirement.status === 'retired') return;
        const system = await lockSystem(db, input.systemId);
        await moveState(db, system, 'retired');
        // A retired system is never reviewed again.
        await db.query('UPDATE ai_systems SET next_review_due = NULL WHERE id = $1', [input.systemId]);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:state:retired`,
          type: 'system.state_changed',
          systemId: input.systemId,
          data: { from: system.state, to: 'retired', reason: `retirement signed off by ${input.signedOffBy}` },
        });
        await setRetirementStatus(db, input.retirementId, 'retired', null);
        await appendAuditEvent(db, {
          key: `${input.retirementId}:retired`,
          type: 'retirement.retired',
          systemId: input.systemId,
          actorId: input.signedOffBy,
          data: { retirementId: input.retirementId, rounds: input.rounds },
        });
      });
    },
  };
}
