import { chainedHash, genesisHash, toAuditEvent, type AuditEvent } from './audit';
import type { BrokenLink, BrokenLinkReason } from '../domain/auditCheckpoint';
import { inClientTransaction, withClient, type Pool, type Queryable } from './pool';

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

/** Where an event fails to follow from the hash before it: a link to another hash, or content edited under its hash. */
function brokenLinkAt(row: AuditRow, hashBefore: string): BrokenLink | undefined {
  const broken = (reason: BrokenLinkReason): BrokenLink => ({ seq: Number(row.seq), eventKey: row.event_key, reason });
  if (row.prev_hash !== hashBefore) return broken('prev_hash mismatch');
  if (row.hash !== recomputedHash(row.prev_hash, row)) return broken('hash mismatch');
  return undefined;
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
      brokenLink ??= brokenLinkAt(row, headHash);
      headHash = row.hash;
      afterSeq = Number(row.seq);
    }
    options.onPage?.();
    if (rows.length < pageSize) return { afterSeq, headHash, events, ...(brokenLink && { brokenLink }) };
  }
}

/** Recomputes the whole audit chain from genesis and names the first event that does not follow. */
export async function verifyAuditChain(pool: Pool, options: { pageSize?: number } = {}): Promise<ChainVerification> {
  const head = await withClient(pool, (client) =>
    inClientTransaction(client, (tx) => walkAuditChain(tx, chainGenesis, options), 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY'),
  );
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

/** A system's audit events with their chain links, and the first of them that does not link. */
export interface ChainedAuditTrail {
  events: ChainedAuditEvent[];
  /**
   * Each event checked where it sits: its hash is that of its content, its prev_hash the hash of the
   * event before it, and the event after it links to it. An edit of one of them shows here at once,
   * without walking the chain; hiding it means rehashing the events after it, which the verifier finds
   * when it reaches the checkpoint's last event or walks from genesis.
   */
  firstBrokenLink?: BrokenLink;
}

export async function chainedAuditTrail(db: Queryable, systemId: string): Promise<ChainedAuditTrail> {
  const { rows } = await db.query<AuditRow & { hash_before: string | null; prev_hash_after: string | null }>(
    `SELECT e.seq, e.event_key, e.system_id, e.task_id, e.actor_id, e.type, e.data, e.occurred_at, e.prev_hash, e.hash,
            (SELECT b.hash FROM audit_events b WHERE b.seq < e.seq ORDER BY b.seq DESC LIMIT 1) AS hash_before,
            (SELECT a.prev_hash FROM audit_events a WHERE a.seq > e.seq ORDER BY a.seq LIMIT 1) AS prev_hash_after
     FROM audit_events e WHERE e.system_id = $1 ORDER BY e.seq`,
    [systemId],
  );
  let firstBrokenLink: BrokenLink | undefined;
  for (const row of rows) {
    firstBrokenLink = brokenLinkAt(row, row.hash_before ?? genesisHash);
    if (!firstBrokenLink && row.prev_hash_after !== null && row.prev_hash_after !== row.hash) {
      firstBrokenLink = { seq: Number(row.seq), eventKey: row.event_key, reason: 'next event does not link' };
    }
    if (firstBrokenLink) break;
  }
  return {
    events: rows.map((row) => ({ ...toAuditEvent(row), eventKey: row.event_key, prevHash: row.prev_hash, hash: row.hash })),
    ...(firstBrokenLink && { firstBrokenLink }),
  };
}
