import { ApplicationFailure } from '@temporalio/activity';
import { appendAuditEvent, auditEventRecorded } from '../db/audit';
import { enqueueEmail, messageIdFor } from '../db/outbox';
import { inTransaction, type Queryable } from '../db/pool';
import { principalsByIds, principalsWithRole } from '../db/principals';
import { lockSystem } from '../db/systems';
import { activeAssignees, closeTask, insertDecision, insertTask, seatAssignees, unseatAll, updateTaskProgress } from '../db/tasks';
import { activityFailures } from '../domain/failures';
import type { EscalationLevel } from '../domain/policy';
import type { Role } from '../domain/principal';
import { holdsSeatRole, mayHoldSeats } from '../domain/seatRules';
import { taskKinds, type ApprovalRule, type TaskAssignee, type TaskKind, type TaskStatus, type TaskSubject } from '../domain/task';
import type { ActivityDeps } from '.';

export type EmailKind = 'assigned' | 'reminder' | 'escalated_assignee' | 'escalation_notice' | 'assignment_gap';

/** Queues one email per recipient, keyed by (task, recipient, kind, level) so a retry queues nothing new. */
async function queueEmails(
  db: Queryable,
  publicBaseUrl: string,
  emails: { taskId: string; recipientIds: readonly string[]; kind: EmailKind; level: string },
): Promise<string[]> {
  const domain = new URL(publicBaseUrl).hostname;
  const keys: string[] = [];
  for (const recipientId of emails.recipientIds) {
    const key = `${emails.taskId}:${recipientId}:${emails.kind}:${emails.level}`;
    await enqueueEmail(db, { key, taskId: emails.taskId, recipientId, kind: emails.kind, messageId: messageIdFor(key, domain) });
    keys.push(key);
  }
  return keys;
}

/** The outbox keys queued for one kind and level of a task, for a retry to send what its first attempt queued. */
async function queuedKeys(db: Queryable, taskId: string, kind: EmailKind, level: string): Promise<string[]> {
  const { rows } = await db.query<{ key: string }>('SELECT key FROM outbox WHERE task_id = $1 AND kind = $2 AND key LIKE $3 ORDER BY key', [
    taskId,
    kind,
    `%:${kind}:${level}`,
  ]);
  return rows.map((row) => row.key);
}

const governanceLeads = async (db: Queryable, excludedIds: readonly string[]) =>
  (await principalsWithRole(db, 'governance_lead')).filter((p) => mayHoldSeats(p.roles) && !excludedIds.includes(p.id)).map((p) => p.id);

/**
 * The principals who hold a role when a step opens (a system's own owner for system_owner), never an
 * auditor, each replaced by their out-of-office delegate where that delegate could hold the seat
 * (DESIGN.md §10). One who could not keeps the seat with its holder, rather than the seat being lost.
 * Recorded in history by the caller.
 */
async function resolveSeats(
  db: Queryable,
  role: Role,
  ownerId: string,
  excludedIds: readonly string[],
  delegateRoles: readonly Role[] = [],
): Promise<TaskAssignee[]> {
  const holders = role === 'system_owner' ? await principalsByIds(db, [ownerId]) : await principalsWithRole(db, role);
  const seats: TaskAssignee[] = [];
  for (const holder of holders) {
    // An excluded person never gets a seat, not even through their delegate.
    if (excludedIds.includes(holder.id) || !mayHoldSeats(holder.roles)) continue;
    const { rows } = await db.query<{ id: string; roles: Role[] }>(
      `SELECT d.id, d.roles FROM principals p JOIN principals d ON d.id = p.delegate_id WHERE p.id = $1 AND p.delegate_until > now()`,
      [holder.id],
    );
    const delegate = rows[0];
    // Under `all` or a quorum nobody holds two votes: a delegate already seated leaves the holder their own seat.
    const delegateSits =
      delegate && !excludedIds.includes(delegate.id) && holdsSeatRole(delegate.roles, role, delegateRoles) && !seats.some((s) => s.principalId === delegate.id);
    const seat = delegateSits ? { principalId: delegate.id, onBehalfOf: holder.id } : { principalId: holder.id, onBehalfOf: null };
    if (!seats.some((s) => s.principalId === seat.principalId)) seats.push(seat);
  }
  return seats;
}

async function resolveEscalationTargets(
  db: Queryable,
  target: EscalationLevel['target'],
  assignees: TaskAssignee[],
  ownerId: string,
  excludedIds: readonly string[],
) {
  if (target !== 'manager') return (await resolveSeats(db, target, ownerId, excludedIds)).map((seat) => seat.principalId);
  // The manager of the person the seat belongs to: for a delegate, of the one they stand in for.
  const owners = assignees.map((assignee) => assignee.onBehalfOf ?? assignee.principalId);
  const managerIds = (await principalsByIds(db, owners)).map((principal) => principal.managerId).filter((id): id is string => id !== null);
  const managers = await principalsByIds(db, [...new Set(managerIds)]);
  return managers.filter((manager) => mayHoldSeats(manager.roles) && !excludedIds.includes(manager.id)).map((manager) => manager.id);
}

interface StepOpening {
  taskId: string;
  systemId: string;
  step: number;
  /** Steps in the chain now: a changed subject may have changed the tier, and with it the chain. */
  stepCount: number;
  role: Role;
  rule: ApprovalRule;
  /** The task policy's other roles that may stand in for a seat (absent on steps opened before they existed). */
  delegateRoles?: Role[];
  excludedIds: string[];
  dueAt: string;
  subject: TaskSubject;
  cycle: string;
}

async function openStep(db: Queryable, publicBaseUrl: string, input: StepOpening): Promise<{ assignees: TaskAssignee[]; emailKeys: string[] }> {
  const eventKey = `${input.taskId}:step:${input.cycle}`;
  const alreadyOpened = await auditEventRecorded(db, eventKey);
  let assignees: TaskAssignee[];
  let gapKeys: string[] = [];
  if (alreadyOpened) {
    // A retry after the first attempt committed: the directory is not consulted twice.
    assignees = await activeAssignees(db, input.taskId);
    gapKeys = await queuedKeys(db, input.taskId, 'assignment_gap', input.cycle);
  } else {
    const system = await lockSystem(db, input.systemId);
    assignees = await resolveSeats(db, input.role, system.ownerId, input.excludedIds, input.delegateRoles);
    if (assignees.length === 0) {
      // Nobody holds the role: the governance leads take the step and are told why, rather than the task stalling.
      const leads = await governanceLeads(db, input.excludedIds);
      if (leads.length === 0) {
        throw ApplicationFailure.create({
          type: activityFailures.noAssignee,
          message: `nobody but the requester or owner holds '${input.role}', and no governance lead can take the step`,
          nonRetryable: true,
        });
      }
      assignees = leads.map((principalId) => ({ principalId, onBehalfOf: null }));
      await appendAuditEvent(db, {
        key: `${input.taskId}:assignment-gap:${input.cycle}`,
        type: 'task.assignment_gap',
        systemId: input.systemId,
        taskId: input.taskId,
        data: { step: input.step, role: input.role, assignedTo: leads },
      });
      gapKeys = await queueEmails(db, publicBaseUrl, { taskId: input.taskId, recipientIds: leads, kind: 'assignment_gap', level: input.cycle });
    }
    await unseatAll(db, input.taskId);
    await seatAssignees(db, input.taskId, input.step, assignees, 0);
    await updateTaskProgress(db, input.taskId, {
      currentStep: input.step,
      stepCount: input.stepCount,
      dueAt: input.dueAt,
      escalationLevel: 0,
      remindersSent: 0,
      subject: input.subject,
    });
    await appendAuditEvent(db, {
      key: eventKey,
      type: 'task.step_opened',
      systemId: input.systemId,
      taskId: input.taskId,
      data: { step: input.step, role: input.role, rule: input.rule, assignees, dueAt: input.dueAt, subject: input.subject },
    });
  }
  const emailKeys = await queueEmails(db, publicBaseUrl, {
    taskId: input.taskId,
    recipientIds: assignees.map((assignee) => assignee.principalId),
    kind: 'assigned',
    level: input.cycle,
  });
  return { assignees, emailKeys: [...gapKeys, ...emailKeys] };
}

export function createTaskActivities({ pool, publicBaseUrl }: ActivityDeps) {
  return {
    /** Opens the task with its first step seated, in one transaction, so nobody sees a task without assignees. */
    async openTask(
      input: StepOpening & { kind: TaskKind; requesterId: string; policyVersion: string },
    ): Promise<{ assignees: TaskAssignee[]; emailKeys: string[] }> {
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        await insertTask(db, {
          id: input.taskId,
          systemId: input.systemId,
          kind: input.kind,
          title: `${taskKinds[input.kind].title}: ${system.name}`,
          workflowId: `task-${input.taskId}`,
          requesterId: input.requesterId,
          stepCount: input.stepCount,
          dueAt: input.dueAt,
          policyVersion: input.policyVersion,
          subject: input.subject,
        });
        await appendAuditEvent(db, {
          key: `${input.taskId}:opened`,
          type: 'task.opened',
          systemId: input.systemId,
          taskId: input.taskId,
          actorId: input.requesterId,
          data: { kind: input.kind, stepCount: input.stepCount, dueAt: input.dueAt, subject: input.subject },
        });
        return openStep(db, publicBaseUrl, input);
      });
    },

    /** Seats the assignees of a later step of the chain, or of the first step again after the subject changed. */
    async openTaskStep(input: StepOpening): Promise<{ assignees: TaskAssignee[]; emailKeys: string[] }> {
      return inTransaction(pool, (db) => openStep(db, publicBaseUrl, input));
    },

    async recordDecision(input: {
      taskId: string;
      systemId: string;
      updateId: string;
      actorId: string;
      onBehalfOf: string | null;
      step: number;
      choice: string;
      snapshotHash: string;
      comment: string | null;
      submission: unknown;
    }) {
      await inTransaction(pool, async (db) => {
        await insertDecision(db, input.taskId, input);
        await appendAuditEvent(db, {
          key: `${input.taskId}:decision:${input.updateId}`,
          type: 'task.decided',
          systemId: input.systemId,
          taskId: input.taskId,
          actorId: input.actorId,
          data: { choice: input.choice, comment: input.comment, onBehalfOf: input.onBehalfOf, step: input.step, snapshotHash: input.snapshotHash },
        });
      });
    },

    async remindAssignees(input: { taskId: string; systemId: string; reminderNumber: number; assigneeIds: string[]; cycle: string }) {
      return inTransaction(pool, async (db) => {
        await updateTaskProgress(db, input.taskId, { remindersSent: input.reminderNumber });
        await appendAuditEvent(db, {
          key: `${input.taskId}:reminder:${input.cycle}:${input.reminderNumber}`,
          type: 'task.reminded',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { reminderNumber: input.reminderNumber, recipientIds: input.assigneeIds },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, {
          taskId: input.taskId,
          recipientIds: input.assigneeIds,
          kind: 'reminder',
          level: `${input.cycle}.${input.reminderNumber}`,
        });
        return { emailKeys };
      });
    },

    /** One level of the escalation ladder: notify the target, add them as assignees, or hand them the task. */
    async escalateTask(input: {
      taskId: string;
      systemId: string;
      level: number;
      action: EscalationLevel['action'];
      target: EscalationLevel['target'];
      assignees: TaskAssignee[];
      excludedIds: string[];
      dueAt: string;
      cycle: string;
    }): Promise<{ assignees: TaskAssignee[]; targetIds: string[]; emailKeys: string[] }> {
      return inTransaction(pool, async (db) => {
        const eventKey = `${input.taskId}:escalation:${input.cycle}:${input.level}`;
        const emailKind: EmailKind = input.action === 'notify' ? 'escalation_notice' : 'escalated_assignee';
        const level = `${input.cycle}.${input.level}`;
        const { rows: done } = await db.query<{ data: { targetIds: string[] } }>('SELECT data FROM audit_events WHERE event_key = $1', [eventKey]);
        if (done[0]) {
          // A retry after the first attempt committed: answer what it did rather than asking the directory again.
          const assignees = input.action === 'notify' ? input.assignees : await activeAssignees(db, input.taskId);
          return { assignees, targetIds: done[0].data.targetIds, emailKeys: await queuedKeys(db, input.taskId, emailKind, level) };
        }
        const system = await lockSystem(db, input.systemId);
        const resolved = await resolveEscalationTargets(db, input.target, input.assignees, system.ownerId, input.excludedIds);
        let targetIds = resolved.filter((id) => !input.excludedIds.includes(id));
        const fallback = targetIds.length === 0;
        // Nobody at this level (e.g. an assignee without a manager): the governance leads hold the last step.
        if (fallback) targetIds = await governanceLeads(db, input.excludedIds);
        let assignees = input.assignees;
        if (input.action !== 'notify') {
          const newcomers = targetIds.filter((id) => !assignees.some((assignee) => assignee.principalId === id));
          const kept = input.action === 'reassign' ? [] : assignees;
          assignees = [...kept, ...(input.action === 'reassign' ? targetIds : newcomers).map((principalId) => ({ principalId, onBehalfOf: null }))];
          const step = await db.query<{ current_step: number }>('SELECT current_step FROM tasks WHERE id = $1', [input.taskId]);
          if (input.action === 'reassign') await unseatAll(db, input.taskId);
          await seatAssignees(db, input.taskId, step.rows[0].current_step, assignees, input.level);
        }
        await updateTaskProgress(db, input.taskId, { escalationLevel: input.level, nextDeadlineAt: input.dueAt });
        await appendAuditEvent(db, {
          key: eventKey,
          type: 'task.escalated',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { level: input.level, action: input.action, target: input.target, targetIds, fallbackToGovernanceLeads: fallback, dueAt: input.dueAt },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, {
          taskId: input.taskId,
          recipientIds: targetIds,
          kind: emailKind,
          level,
        });
        return { assignees, targetIds, emailKeys };
      });
    },

    /** Delegation by an assignee, or reassignment by a governance lead, of one seat on an open task. */
    async changeAssignee(input: {
      taskId: string;
      systemId: string;
      change: 'delegated' | 'reassigned';
      actorId: string;
      fromId: string;
      toId: string;
      onBehalfOf: string | null;
      reason: string | null;
      updateId: string;
    }): Promise<{ emailKeys: string[] }> {
      return inTransaction(pool, async (db) => {
        const step = await db.query<{ current_step: number; escalation_level: number }>('SELECT current_step, escalation_level FROM tasks WHERE id = $1', [
          input.taskId,
        ]);
        await db.query('UPDATE task_assignees SET active = false WHERE task_id = $1 AND principal_id = $2', [input.taskId, input.fromId]);
        await seatAssignees(
          db,
          input.taskId,
          step.rows[0].current_step,
          [{ principalId: input.toId, onBehalfOf: input.onBehalfOf }],
          step.rows[0].escalation_level,
        );
        await appendAuditEvent(db, {
          key: `${input.taskId}:${input.change}:${input.updateId}`,
          type: `task.${input.change}`,
          systemId: input.systemId,
          taskId: input.taskId,
          actorId: input.actorId,
          data: { fromId: input.fromId, toId: input.toId, onBehalfOf: input.onBehalfOf, reason: input.reason },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, {
          taskId: input.taskId,
          recipientIds: [input.toId],
          kind: 'assigned',
          level: `${input.change}:${input.updateId}`,
        });
        return { emailKeys };
      });
    },

    async closeTask(input: {
      taskId: string;
      systemId: string;
      status: Exclude<TaskStatus, 'open'>;
      outcome: string | null;
      actorId: string | null;
      reason: string | null;
    }) {
      await inTransaction(pool, async (db) => {
        if (!(await closeTask(db, input.taskId, input.status, input.outcome))) return;
        await appendAuditEvent(db, {
          key: `${input.taskId}:closed`,
          type: 'task.closed',
          systemId: input.systemId,
          taskId: input.taskId,
          actorId: input.actorId,
          data: { status: input.status, outcome: input.outcome, reason: input.reason },
        });
      });
    },
  };
}
