import { ApplicationFailure } from '@temporalio/activity';
import { appendAuditEvent } from '../db/audit';
import { inTransaction } from '../db/pool';
import { insertSystem, lockSystem, setIntake, setSystemState, setTriage } from '../db/systems';
import { IllegalTransitionError, type LifecycleState } from '../domain/lifecycle';
import type { IntakeRequest } from '../domain/system';
import type { TriageResult } from '../domain/triage';
import type { ActivityDeps } from '.';

export function createIntakeActivities({ pool }: ActivityDeps) {
  return {
    async registerSystem(input: { systemId: string; ownerId: string; intake: IntakeRequest; policyVersion: string }) {
      await inTransaction(pool, async (db) => {
        await insertSystem(db, { id: input.systemId, ownerId: input.ownerId, intake: input.intake, policyVersion: input.policyVersion });
        await appendAuditEvent(db, {
          key: `${input.systemId}:registered`,
          type: 'system.registered',
          systemId: input.systemId,
          actorId: input.ownerId,
          data: { name: input.intake.name, policyVersion: input.policyVersion },
        });
      });
    },

    async recordTriage(input: { systemId: string; round: number; triage: TriageResult }) {
      await inTransaction(pool, async (db) => {
        await setTriage(db, input.systemId, input.triage);
        await appendAuditEvent(db, {
          key: `${input.systemId}:triage:${input.round}`,
          type: 'system.triaged',
          systemId: input.systemId,
          data: { round: input.round, ...input.triage },
        });
      });
    },

    async reviseIntake(input: { systemId: string; round: number; intake: IntakeRequest; actorId: string }) {
      await inTransaction(pool, async (db) => {
        await setIntake(db, input.systemId, input.intake);
        await appendAuditEvent(db, {
          key: `${input.systemId}:revision:${input.round}`,
          type: 'system.intake_revised',
          systemId: input.systemId,
          actorId: input.actorId,
          data: { round: input.round },
        });
      });
    },

    async transitionSystem(input: { systemId: string; to: LifecycleState; reason: string; eventKey: string }) {
      await inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        if (system.state === input.to) return;
        try {
          await setSystemState(db, system, input.to);
        } catch (error) {
          if (error instanceof IllegalTransitionError) {
            throw ApplicationFailure.create({ type: 'IllegalTransition', message: error.message, nonRetryable: true });
          }
          throw error;
        }
        await appendAuditEvent(db, {
          key: input.eventKey,
          type: 'system.state_changed',
          systemId: input.systemId,
          data: { from: system.state, to: input.to, reason: input.reason },
        });
      });
    },
  };
}
