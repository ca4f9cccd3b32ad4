import { issueActionToken, lockOutboxEntry, markSent } from '../db/outbox';
import { inTransaction } from '../db/pool';
import { principalsByIds } from '../db/principals';
import { getSystem } from '../db/systems';
import { getTask, type TaskRecord } from '../db/tasks';
import { RecordNotFoundError } from '../domain/failures';
import { onOneLine, quotedInEmail } from '../domain/fields';
import { taskKinds } from '../domain/task';
import type { ActivityDeps } from '.';
import type { EmailKind } from './tasks';

// A task's title names its system, as its owner typed it: kept to one line in the subject.
const subjects: Record<EmailKind, (task: TaskRecord) => string> = {
  assigned: (task) => `Action needed: ${onOneLine(task.title)}`,
  reminder: (task) => `Reminder: ${onOneLine(task.title)}`,
  escalated_assignee: (task) => `Escalated to you: ${onOneLine(task.title)}`,
  escalation_notice: (task) => `Overdue: ${onOneLine(task.title)}`,
  assignment_gap: (task) => `Nobody holds the role for: ${onOneLine(task.title)}`,
};

/** What the email says of the system: the platform's facts, and below the link what its owner wrote, quoted. */
interface SystemSummary {
  tier: string;
  written: string[];
}

function composeBody(kind: EmailKind, task: TaskRecord, recipientName: string, system: SystemSummary | undefined, actionUrl?: string) {
  const due = new Date(task.dueAt).toUTCString();
  const opening: Record<EmailKind, string> = {
    assigned: 'A decision is waiting for you.',
    reminder: `This decision is still waiting for you. It is due ${due}.`,
    escalated_assignee: `This decision is overdue and has been escalated to you (level ${task.escalationLevel}).`,
    escalation_notice: `This decision is overdue and has been escalated (level ${task.escalationLevel}). You are told as the next step of its escalation ladder; its assignees still decide.`,
    assignment_gap:
      'Nobody holds the role this step of the task needs, so it has been assigned to the governance leads. Please decide it, or fix the role in the directory.',
  };
  return [
    `Hello ${recipientName},`,
    '',
    opening[kind],
    '',
    `Task: ${taskKinds[task.kind].title}`,
    system ? `Risk tier of the AI system: ${system.tier}` : '',
    `Due: ${due}`,
    task.escalationLevel > 0 ? `Escalated to level ${task.escalationLevel}; next escalation: ${new Date(task.nextDeadlineAt).toUTCString()}` : '',
    `Task id: ${task.id}`,
    '',
    actionUrl ? `Open the task and decide here:\n${actionUrl}\n\nThe link is personal to you: do not forward it.` : '',
    '',
    // Below the real link, so no name typed into the intake can put a link or an instruction above it.
    ...(system
      ? ['The AI system, as its owner registered it (their words, quoted; aims-flow sends no other link):', ...system.written.map(quotedInEmail), '']
      : []),
    '-- aims-flow, your AI management system',
  ].join('\n');
}

export function createNotificationActivities({ pool, mailer, mailFrom, publicBaseUrl }: ActivityDeps) {
  return {
    /**
     * Sends one outbox email, once: sent_at marks it done, so a retry after success sends nothing. The
     * action token is committed before the email leaves, so its link works the moment it arrives. The
     * row stays locked while the email leaves, so a second attempt waits for the first and then finds it
     * sent, and the SMTP server's acceptance is committed the moment it comes. Only a crash inside that
     * moment re-sends, with the same Message-ID, so mail clients show the message once. An email whose
     * task closed meanwhile is not sent.
     */
    async deliverEmail(key: string): Promise<'sent' | 'already_sent' | 'task_closed'> {
      const prepared = await inTransaction(pool, async (db) => {
        const entry = await lockOutboxEntry(db, key);
        if (!entry) throw new RecordNotFoundError(`outbox entry ${key}`);
        if (entry.sentAt) return 'already_sent' as const;
        const task = entry.taskId ? await getTask(db, entry.taskId) : undefined;
        if (!task) throw new RecordNotFoundError(`the task of outbox entry ${key}`);
        if (task.status !== 'open') {
          await markSent(db, key, 'moot');
          return 'task_closed' as const;
        }
        const [recipient] = await principalsByIds(db, [entry.recipientId]);
        const system = await getSystem(db, task.systemId);
        const kind = entry.kind as EmailKind;
        const isAssignee = task.assignees.some((assignee) => assignee.principalId === recipient.id);
        let actionUrl: string | undefined;
        if (kind !== 'escalation_notice' && kind !== 'assignment_gap' && isAssignee) {
          const token = await issueActionToken(db, { outboxKey: key, taskId: task.id, principalId: recipient.id, expiresAt: finalDeadline(task) });
          actionUrl = new URL(`/actions/${token}`, publicBaseUrl).toString();
        }
        const systemSummary = system && { tier: system.riskTier ?? 'not set', written: [`Name: ${system.name}`, `Business unit: ${system.businessUnit}`] };
        return {
          from: mailFrom,
          to: { name: recipient.name, address: recipient.email },
          subject: subjects[kind](task),
          text: composeBody(kind, task, recipient.name, systemSummary, actionUrl),
          messageId: entry.messageId,
          headers: { 'X-Aims-Flow-Task': task.id, 'X-Aims-Flow-Email-Kind': kind },
        };
      });
      if (typeof prepared === 'string') return prepared;
      return inTransaction(pool, async (db) => {
        // Bounded: a second attempt waits for the lock no longer than a send may take, and a session
        // whose SMTP conversation hangs past its socket timeouts is ended by the database.
        await db.query("SET LOCAL lock_timeout = '45s'; SET LOCAL idle_in_transaction_session_timeout = '60s'");
        if ((await lockOutboxEntry(db, key))?.sentAt) return 'already_sent' as const;
        await mailer.sendMail(prepared);
        await markSent(db, key);
        return 'sent' as const;
      });
    },
  };
}

/**
 * The outer bound of a link's life. It ends sooner with its task: closing the task cuts its links to a
 * short grace (db/tasks.ts closeTask), and the ladder closes every task in the end.
 */
function finalDeadline(task: TaskRecord): string {
  const quarter = 92 * 24 * 3600 * 1000;
  return new Date(new Date(task.dueAt).getTime() + quarter).toISOString();
}
