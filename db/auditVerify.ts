import { chainedHash, genesisHash, toAuditEvent, type AuditEvent } from './audit';
import type { BrokenLink } from '../domain/auditCheckpoint';
import type { Pool, Queryable } from './pool';

export interface ChainVerification {
  ok: boolean;
  /** How many events the chain holds. */
  events: number;
  /**
   * The first event that does not follow from the one before it: its stored hash is not the hash of
   * its content (the row was edited), or its prev_hash is not the hash of the event before it (a row
   * before it was deleted, inserted or rewritten with a recomputed hash).
   */
  firstBrokenLink?: BrokenLink;
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

/** Where a walk of the chain starts: from genesis, or from a checkpoint already vouched for. */
export interface ChainPosition {
  afterSeq: number;
  /** The stored hash of the event at afterSeq: what the next event must link to. */
  headHash: string;
  events: number;
  brokenLink?: BrokenLink;
}

export const chainGenesis: ChainPosition = { afterSeq: 0, headHash: genesisHash, events: 0 };

/**
 * Walks the chain on from `start` in seq order, reading keyset pages so memory stays flat however long
 * the chain is, and calling `onPage` after each (a heartbeat). The caller's snapshot serves every page,
 * so appends made meanwhile neither show up halfway nor break the walk. After a broken link the walk
 * goes on from the stored hash, so `events` and `headHash` still describe the whole table.
 */
export async function walkAuditChain(
  client: Queryable,
  start: ChainPosition,
  options: { pageSize?: number; onPage?: () => void } = {},
): Promise<ChainPosition> {
  const pageSize = options.pageSize ?? 5_000;
  let { afterSeq, headHash, events, brokenLink } = start;
  for (;;) {
    const { rows } = await client.query<AuditRow>(
      `SELECT seq, event_key, system_id, task_id, actor_id, type, data, occurred_at, prev_hash, hash
       FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [afterSeq, pageSize],
    );
    for (const row of rows) {
      events += 1;
      if (!brokenLink) {
        if (row.prev_hash !== headHash) brokenLink = { seq: Number(row.seq), eventKey: row.event_key, reason: 'prev_hash mismatch' };
        else if (row.hash !== recomputedHash(row.prev_hash, row)) brokenLink = { seq: Number(row.seq), eventKey: row.event_key, reason: 'hash mismatch' };
      }
      headHash = row.hash;
      afterSeq = Number(row.seq);
    }
    options.onPage?.();
    if (rows.length < pageSize) return { afterSeq, headHash, events, ...(brokenLink && { brokenLink }) };
  }
}

/** Runs `read` in one read-only snapshot of the database. */
export async function inReadOnlySnapshot<T>(pool: Pool, read: (client: Queryable) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await read(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Recomputes the whole audit chain from genesis and names the first event that does not follow. */
export async function verifyAuditChain(pool: Pool, options: { pageSize?: number } = {}): Promise<ChainVerification> {
  const head = await inReadOnlySnapshot(pool, (client) => walkAuditChain(client, chainGenesis, options));
  return {
    ok: !head.brokenLink,
    events: head.events,
    ...(head.brokenLink && { firstBrokenLink: head.brokenLink }),
    headHash: head.headHash,
    headSeq: head.events ? head.afterSeq : null,
  };
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
