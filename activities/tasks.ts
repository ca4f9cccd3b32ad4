import { ApplicationFailure } from '@temporalio/activity';
import { appendAuditEvent } from '../db/audit';
import { enqueueEmail, messageIdFor } from '../db/outbox';
import { inTransaction, type Queryable } from '../db/pool';
import { principalsByIds, principalsWithRole } from '../db/principals';
import { lockSystem } from '../db/systems';
import { addAssignees, closeTask, getTask, insertDecision, insertTask, updateTaskProgress } from '../db/tasks';
import type { EscalationLevel, TaskPolicy } from '../domain/policy';
import { taskKinds, type ApprovalRule, type TaskKind, type TaskStatus } from '../domain/task';
import type { ActivityDeps } from '.';

export type EmailKind = 'assigned' | 'reminder' | 'escalated_assignee' | 'escalation_notice';

async function queueEmails(
  db: Queryable,
  publicBaseUrl: string,
  emails: { taskId: string; recipientIds: readonly string[]; kind: EmailKind; level: number },
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

async function activeAssigneeIds(db: Queryable, taskId: string): Promise<string[]> {
  const { rows } = await db.query<{ principal_id: string }>(
    'SELECT principal_id FROM task_assignees WHERE task_id = $1 AND active ORDER BY added_at, principal_id',
    [taskId],
  );
  return rows.map((row) => row.principal_id);
}

/** Principals holding a role, or a system's own owner for the system_owner role; resolved when the task opens. */
async function resolveRole(db: Queryable, role: TaskPolicy['assigneeRole'], ownerId: string): Promise<string[]> {
  if (role === 'system_owner') return [ownerId];
  return (await principalsWithRole(db, role)).map((principal) => principal.id);
}

async function resolveEscalationTarget(db: Queryable, target: EscalationLevel['target'], assigneeIds: string[], ownerId: string) {
  if (target !== 'manager') return resolveRole(db, target, ownerId);
  const managers = (await principalsByIds(db, assigneeIds)).map((principal) => principal.managerId);
  return [...new Set(managers.filter((id): id is string => id !== null))];
}

export function createTaskActivities({ pool, publicBaseUrl }: ActivityDeps) {
  return {
    async openTask(input: {
      taskId: string;
      systemId: string;
      kind: TaskKind;
      requesterId: string;
      rule: ApprovalRule;
      assigneeRole: TaskPolicy['assigneeRole'];
      dueAt: string;
      policyVersion: string;
    }): Promise<{ assigneeIds: string[]; emailKeys: string[] }> {
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const opened = await insertTask(db, {
          id: input.taskId,
          systemId: input.systemId,
          kind: input.kind,
          title: `${taskKinds[input.kind].title}: ${system.name}`,
          workflowId: `task-${input.taskId}`,
          requesterId: input.requesterId,
          rule: input.rule,
          dueAt: input.dueAt,
          policyVersion: input.policyVersion,
        });
        if (!opened) {
          // A retry after the first attempt committed: the directory is not consulted twice.
          const assigneeIds = await activeAssigneeIds(db, input.taskId);
          return { assigneeIds, emailKeys: await queueEmails(db, publicBaseUrl, { taskId: input.taskId, recipientIds: assigneeIds, kind: 'assigned', level: 0 }) };
        }
        const candidates = await resolveRole(db, input.assigneeRole, system.ownerId);
        // Segregation of duties: whoever asked for the decision is never one of its deciders.
        const assigneeIds = candidates.filter((id) => id !== input.requesterId);
        if (assigneeIds.length === 0) {
          throw ApplicationFailure.create({
            type: 'NoAssignee',
            message: `no principal other than the requester holds the role '${input.assigneeRole}' needed for ${input.kind}`,
            nonRetryable: true,
          });
        }
        await addAssignees(db, input.taskId, assigneeIds, 0);
        await appendAuditEvent(db, {
          key: `${input.taskId}:opened`,
          type: 'task.opened',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { kind: input.kind, assigneeIds, rule: input.rule, dueAt: input.dueAt, assigneeRole: input.assigneeRole },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, { taskId: input.taskId, recipientIds: assigneeIds, kind: 'assigned', level: 0 });
        return { assigneeIds, emailKeys };
      });
    },

    async recordDecision(input: {
      taskId: string;
      systemId: string;
      updateId: string;
      actorId: string;
      choice: string;
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
          data: { choice: input.choice, comment: input.comment },
        });
      });
    },

    async remindAssignees(input: { taskId: string; systemId: string; reminderNumber: number; assigneeIds: string[] }) {
      return inTransaction(pool, async (db) => {
        await updateTaskProgress(db, input.taskId, { remindersSent: input.reminderNumber });
        await appendAuditEvent(db, {
          key: `${input.taskId}:reminder:${input.reminderNumber}`,
          type: 'task.reminded',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { reminderNumber: input.reminderNumber, recipientIds: input.assigneeIds },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, {
          taskId: input.taskId,
          recipientIds: input.assigneeIds,
          kind: 'reminder',
          level: input.reminderNumber,
        });
        return { emailKeys };
      });
    },

    async escalateTask(input: {
      taskId: string;
      systemId: string;
      level: number;
      action: EscalationLevel['action'];
      target: EscalationLevel['target'];
      assigneeIds: string[];
      requesterId: string;
      dueAt: string;
    }): Promise<{ assigneeIds: string[]; targetIds: string[]; emailKeys: string[] }> {
      return inTransaction(pool, async (db) => {
        const system = await lockSystem(db, input.systemId);
        const resolved = await resolveEscalationTarget(db, input.target, input.assigneeIds, system.ownerId);
        let targetIds = resolved.filter((id) => id !== input.requesterId);
        let fallback = false;
        if (targetIds.length === 0) {
          // Nobody at this level (e.g. an assignee without a manager): the governance leads hold the last step.
          targetIds = (await principalsWithRole(db, 'governance_lead')).map((p) => p.id).filter((id) => id !== input.requesterId);
          fallback = true;
        }
        let assigneeIds = input.assigneeIds;
        if (input.action === 'reassign') {
          await db.query('UPDATE task_assignees SET active = false WHERE task_id = $1 AND NOT (principal_id = ANY($2))', [input.taskId, targetIds]);
        }
        if (input.action !== 'notify') {
          await addAssignees(db, input.taskId, targetIds, input.level);
          await db.query('UPDATE task_assignees SET active = true WHERE task_id = $1 AND principal_id = ANY($2)', [input.taskId, targetIds]);
          assigneeIds = await activeAssigneeIds(db, input.taskId);
        }
        await updateTaskProgress(db, input.taskId, { escalationLevel: input.level, dueAt: input.dueAt });
        await appendAuditEvent(db, {
          key: `${input.taskId}:escalation:${input.level}`,
          type: 'task.escalated',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { level: input.level, action: input.action, target: input.target, targetIds, fallbackToGovernanceLeads: fallback, dueAt: input.dueAt },
        });
        const emailKeys = await queueEmails(db, publicBaseUrl, {
          taskId: input.taskId,
          recipientIds: targetIds,
          kind: input.action === 'notify' ? 'escalation_notice' : 'escalated_assignee',
          level: input.level,
        });
        return { assigneeIds, targetIds, emailKeys };
      });
    },

    async closeTask(input: { taskId: string; systemId: string; status: Exclude<TaskStatus, 'open'>; outcome: string | null }) {
      await inTransaction(pool, async (db) => {
        if (!(await closeTask(db, input.taskId, input.status, input.outcome))) return;
        const task = await getTask(db, input.taskId);
        await appendAuditEvent(db, {
          key: `${input.taskId}:closed`,
          type: 'task.closed',
          systemId: input.systemId,
          taskId: input.taskId,
          data: { status: input.status, outcome: input.outcome, kind: task?.kind },
        });
      });
    },
  };
}
