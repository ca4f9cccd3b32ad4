import { randomBytes } from 'node:crypto';
import { sha256Hex } from './hashing';
import type { Queryable } from './pool';

export interface OutboxEntry {
  key: string;
  taskId: string | null;
  recipientId: string;
  kind: string;
  messageId: string;
  sentAt: string | null;
}

/** The same key always yields the same Message-ID, so a re-sent email is recognisably the same message. */
export function messageIdFor(key: string, domain: string): string {
  return `<${sha256Hex(key).slice(0, 32)}@${domain}>`;
}

export async function enqueueEmail(
  db: Queryable,
  entry: { key: string; taskId: string | null; recipientId: string; kind: string; messageId: string },
): Promise<void> {
  await db.query(`INSERT INTO outbox (key, task_id, recipient_id, kind, message_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`, [
    entry.key,
    entry.taskId,
    entry.recipientId,
    entry.kind,
    entry.messageId,
  ]);
}

export async function lockOutboxEntry(db: Queryable, key: string): Promise<OutboxEntry | undefined> {
  const { rows } = await db.query('SELECT * FROM outbox WHERE key = $1 FOR UPDATE', [key]);
  const row = rows[0];
  return (
    row && {
      key: row.key,
      taskId: row.task_id,
      recipientId: row.recipient_id,
      kind: row.kind,
      messageId: row.message_id,
      sentAt: row.sent_at?.toISOString() ?? null,
    }
  );
}

/** Done with an outbox email: it left (`sent`), or its task closed before it could (`moot`). */
export async function markSent(db: Queryable, key: string, delivery: 'sent' | 'moot' = 'sent') {
  await db.query('UPDATE outbox SET sent_at = now(), delivery = $2 WHERE key = $1', [key, delivery]);
}

/**
 * A fresh action token for one email: 256 random bits, only the hash stored, bound to the task and
 * the recipient. A re-sent email's token supersedes the one before it: one live link per email. (A
 * mail client that shows the first copy for the shared Message-ID shows a link that says it was
 * replaced, and where to decide instead.)
 */
export async function issueActionToken(db: Queryable, grant: { outboxKey: string; taskId: string; principalId: string; expiresAt: string }): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.query('UPDATE action_tokens SET superseded_at = now() WHERE outbox_key = $1 AND used_at IS NULL AND superseded_at IS NULL', [grant.outboxKey]);
  await db.query('INSERT INTO action_tokens (token_hash, outbox_key, task_id, principal_id, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    sha256Hex(token),
    grant.outboxKey,
    grant.taskId,
    grant.principalId,
    grant.expiresAt,
  ]);
  return token;
}

export interface ActionGrant {
  tokenHash: string;
  taskId: string;
  principalId: string;
  expiresAt: string;
  usedAt: string | null;
  supersededAt: string | null;
}

export async function actionGrantFor(db: Queryable, token: string): Promise<ActionGrant | undefined> {
  const { rows } = await db.query('SELECT * FROM action_tokens WHERE token_hash = $1', [sha256Hex(token)]);
  const row = rows[0];
  return (
    row && {
      tokenHash: row.token_hash,
      taskId: row.task_id,
      principalId: row.principal_id,
      expiresAt: row.expires_at.toISOString(),
      usedAt: row.used_at?.toISOString() ?? null,
      supersededAt: row.superseded_at?.toISOString() ?? null,
    }
  );
}

export async function markTokenUsed(db: Queryable, tokenHash: string) {
  await db.query('UPDATE action_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL', [tokenHash]);
}
