import { overdueTasks, reviewsDue } from '../db/dashboard';
import { enqueueEmail, lockOutboxEntry, markSent, messageIdFor } from '../db/outbox';
import { inTransaction } from '../db/pool';
import { principalsWithRole } from '../db/principals';
import { onOneLine } from '../domain/fields';
import type { ActivityDeps } from '.';

const listed = 50;

/** The governance digest: what is overdue across the organisation, the same for every lead. */
function composeDigest(
  recipientName: string,
  reviews: Awaited<ReturnType<typeof reviewsDue>>['overdue'],
  tasks: Awaited<ReturnType<typeof overdueTasks>>['tasks'],
  publicBaseUrl: string,
): string {
  const days = (since: string) => Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 86_400_000));
  return [
    `Hello ${recipientName},`,
    '',
    `Overdue periodic reviews: ${reviews.length}${reviews.length === listed ? '+' : ''}`,
    ...reviews.map(
      (review) =>
        `- ${onOneLine(review.name)} (${review.tier}, ${onOneLine(review.businessUnit)}): due ${review.nextReviewDue.slice(0, 10)}, ${days(review.nextReviewDue)} days late`,
    ),
    '',
    `Overdue tasks: ${tasks.length}${tasks.length === listed ? '+' : ''}`,
    ...tasks.map(
      (task) =>
        `- ${task.title} (${task.tier ?? 'untiered'}, ${onOneLine(task.businessUnit)}), due ${task.dueAt.slice(0, 10)}, escalation level ${task.escalationLevel}, held by ${task.holders.map((holder) => onOneLine(holder.name)).join(', ') || 'nobody'}`,
    ),
    '',
    `The dashboard: ${new URL('/dashboard', publicBaseUrl).toString()}`,
    '',
    '-- aims-flow, your AI management system',
  ].join('\n');
}

export function createDigestActivities({ pool, mailer, mailFrom, publicBaseUrl }: ActivityDeps) {
  return {
    /**
     * Emails each governance lead the overdue reviews and tasks, once per digest run: a retry re-sends
     * only what was not marked sent, under the same Message-ID.
     */
    async sendGovernanceDigest(input: { runKey: string }): Promise<{ recipients: number; overdueReviews: number; overdueTasks: number }> {
      const [leads, reviews, tasks] = await Promise.all([
        principalsWithRole(pool, 'governance_lead'),
        reviewsDue(pool, { until: new Date(), limit: listed }),
        overdueTasks(pool, { limit: listed }),
      ]);
      const domain = new URL(publicBaseUrl).hostname;
      for (const lead of leads) {
        const key = `digest:${input.runKey}:${lead.id}`;
        await enqueueEmail(pool, { key, taskId: null, recipientId: lead.id, kind: 'digest', messageId: messageIdFor(key, domain) });
        await inTransaction(pool, async (db) => {
          const entry = await lockOutboxEntry(db, key);
          if (!entry || entry.sentAt) return;
          await mailer.sendMail({
            from: mailFrom,
            to: `${lead.name} <${lead.email}>`,
            subject: `Governance digest: ${reviews.overdue.length} overdue reviews, ${tasks.tasks.length} overdue tasks`,
            messageId: entry.messageId,
            text: composeDigest(lead.name, reviews.overdue, tasks.tasks, publicBaseUrl),
          });
          await markSent(db, key);
        });
      }
      return { recipients: leads.length, overdueReviews: reviews.overdue.length, overdueTasks: tasks.tasks.length };
    },
  };
}
