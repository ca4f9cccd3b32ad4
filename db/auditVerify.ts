import { chainedHash, genesisHash, toAuditEvent, type AuditEvent } from './audit';
import type { Pool, Queryable } from './pool';

export type BrokenLinkReason = 'hash mismatch' | 'prev_hash mismatch';

export interface ChainVerification {
  ok: boolean;
  /** How many events the chain holds. */
  events: number;
  /**
   * The first event that does not follow from the one before it: its stored hash is not the hash of
   * its content (the row was edited), or its prev_hash is not the hash of the event before it (a row
   * before it was deleted, inserted or rewritten with a recomputed hash).
   */
  firstBrokenLink?: { seq: number; eventKey: string; reason: BrokenLinkReason };
  /** The stored hash of the last event (genesis when there is none): keep it outside the database to detect a truncated tail. */
  headHash: string;
  headSeq: number | null;
}

interface AuditRow {
  seq: string;
  event_key: string;
  system_id: string | null;
  task_id: string | null;
  actor_id: string | null;
  type: string;
  data: Record<string, unknown>;
  occurred_at: Date;
  prev_hash: string;
  hash: string;
}

/** The hash an event's content links to, recomputed exactly as appendAuditEvent computed it. */
function recomputedHash(prevHash: string, row: AuditRow): string {
  const { seq: _seq, ...event } = toAuditEvent(row);
  return chainedHash(prevHash, { key: row.event_key, ...event });
}

/**
 * Recomputes the whole audit chain from genesis in seq order, reading keyset pages so memory stays flat
 * however long the chain is. One read-only snapshot serves every page, so appends made meanwhile
 * neither show up halfway nor break the walk. After a broken link the walk goes on from the stored
 * hash, so `events` and `headHash` still describe the whole table.
 */
export async function verifyAuditChain(pool: Pool, options: { pageSize?: number } = {}): Promise<ChainVerification> {
  const pageSize = options.pageSize ?? 5_000;
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    let expectedPrev = genesisHash;
    let afterSeq = '0';
    let headSeq: number | null = null;
    let events = 0;
    let firstBrokenLink: ChainVerification['firstBrokenLink'];
    for (;;) {
      const { rows } = await client.query<AuditRow>(
        `SELECT seq, event_key, system_id, task_id, actor_id, type, data, occurred_at, prev_hash, hash
         FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [afterSeq, pageSize],
      );
      for (const row of rows) {
        events += 1;
        if (!firstBrokenLink) {
          if (row.prev_hash !== expectedPrev) {
            firstBrokenLink = { seq: Number(row.seq), eventKey: row.event_key, reason: 'prev_hash mismatch' };
          } else if (row.hash !== recomputedHash(row.prev_hash, row)) {
            firstBrokenLink = { seq: Number(row.seq), eventKey: row.event_key, reason: 'hash mismatch' };
          }
        }
        expectedPrev = row.hash;
        headSeq = Number(row.seq);
      }
      if (rows.length < pageSize) break;
      afterSeq = rows[rows.length - 1].seq;
    }
    await client.query('COMMIT');
    return { ok: !firstBrokenLink, events, ...(firstBrokenLink && { firstBrokenLink }), headHash: expectedPrev, headSeq };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface ChainedAuditEvent extends AuditEvent {
  eventKey: string;
  prevHash: string;
  hash: string;
}

/** A system's audit events with their chain links, so an auditor can check them against the chain. */
export async function chainedAuditTrail(db: Queryable, systemId: string): Promise<ChainedAuditEvent[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT seq, event_key, system_id, task_id, actor_id, type, data, occurred_at, prev_hash, hash
     FROM audit_events WHERE system_id = $1 ORDER BY seq`,
    [systemId],
  );
  return rows.map((row) => ({ ...toAuditEvent(row), eventKey: row.event_key, prevHash: row.prev_hash, hash: row.hash }));
}
