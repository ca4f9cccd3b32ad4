import {
  checkpointSignedByTrustedKey,
  checkpointSigningText,
  type AuditCheckpoint,
  type AuditCheckpointClaim,
  type BrokenLink,
} from '../domain/auditCheckpoint';
import type { Ed25519Signer } from '../domain/ed25519';
import { chainGenesis, walkAuditChain, type ChainPosition } from './auditVerify';
import { inClientTransaction, withClient, type Pool, type Queryable } from './pool';

interface CheckpointRow {
  seq: string;
  head_hash: string;
  events: string;
  previous_seq: string | null;
  walked_from_genesis_at: Date;
  broken_link: AuditCheckpoint['brokenLink'];
  checked_at: Date;
  public_key: string;
  signature: string;
}

const toCheckpoint = (row: CheckpointRow): AuditCheckpoint => ({
  seq: Number(row.seq),
  headHash: row.head_hash,
  events: Number(row.events),
  previousSeq: row.previous_seq === null ? null : Number(row.previous_seq),
  walkedFromGenesisAt: row.walked_from_genesis_at.toISOString(),
  brokenLink: row.broken_link,
  checkedAt: row.checked_at.toISOString(),
  publicKey: row.public_key,
  signature: row.signature,
});

/** How many of the latest checkpoints under a trusted key are tried: rows past the verifier do not verify. */
const checkpointsTried = 50;
const checkpointLock = 42_042_003;

/**
 * The checkpoint in force: of those a trusted key signed, the one signed last (by its signed time), so
 * a copy of an older one written again changes nothing. `newestUntrusted` tells that the newest row
 * was written past the verifier.
 */
export async function trustedAuditCheckpoint(
  db: Queryable,
  trustedKeys: readonly string[],
): Promise<{ checkpoint: AuditCheckpoint | null; newestUntrusted: boolean }> {
  const [{ rows: newest }, { rows: candidates }] = await Promise.all([
    db.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1'),
    db.query<CheckpointRow>('SELECT * FROM audit_checkpoints WHERE public_key = ANY ($1) ORDER BY checked_at DESC, id DESC LIMIT $2', [
      trustedKeys,
      checkpointsTried,
    ]),
  ]);
  const checkpoint = candidates.map(toCheckpoint).find((candidate) => checkpointSignedByTrustedKey(candidate, trustedKeys)) ?? null;
  return { checkpoint, newestUntrusted: newest.length > 0 && !checkpointSignedByTrustedKey(toCheckpoint(newest[0]), trustedKeys) };
}

/** Where a walk starts: from genesis (with a break carried over, perhaps), or on from the last checkpoint. */
type WalkStart =
  { position: ChainPosition; fromGenesis: true; previous: AuditCheckpoint | null } | { position: ChainPosition; fromGenesis: false; previous: AuditCheckpoint };

/**
 * Where the next walk starts. On from the last trusted checkpoint, unless its last walk from genesis is
 * old; from genesis too when the event it ends on was changed or removed since, which is itself a break.
 * A break once found stays: every later checkpoint carries it.
 */
async function walkStart(db: Queryable, previous: AuditCheckpoint | null, fromGenesisBefore: number): Promise<WalkStart> {
  if (!previous) return { position: chainGenesis, previous, fromGenesis: true };
  const { rows } = await db.query<{ hash: string; event_key: string }>('SELECT hash, event_key FROM audit_events WHERE seq = $1', [previous.seq]);
  const changedSince: BrokenLink | undefined =
    rows.length === 0
      ? { seq: previous.seq, eventKey: '', reason: 'removed after a checkpoint' }
      : rows[0].hash !== previous.headHash
        ? { seq: previous.seq, eventKey: rows[0].event_key, reason: 'changed after a checkpoint' }
        : undefined;
  const brokenLink = previous.brokenLink ?? changedSince;
  if (changedSince || Date.parse(previous.walkedFromGenesisAt) < fromGenesisBefore) {
    return { position: { ...chainGenesis, ...(brokenLink && { brokenLink }) }, previous, fromGenesis: true };
  }
  return {
    position: { afterSeq: previous.seq, headHash: previous.headHash, events: previous.events, ...(brokenLink && { brokenLink }) },
    previous,
    fromGenesis: false,
  };
}

export interface CheckpointOptions {
  /** Walk from genesis again when the last such walk is older than this. */
  walkFromGenesisEveryMs: number;
  now?: () => Date;
  /** Called after each page of the walk: the activity heartbeats. */
  onPage?: () => void;
}

/**
 * Walks the audit chain on from the last checkpoint (or from genesis) and records where it got to,
 * signed. One run at a time: another that finds the lock taken leaves the work to it and answers null.
 * The lock is won before the snapshot is taken, so a run always sees the checkpoint of the one before.
 * Nothing is written when no event was appended since a checkpoint that still stands.
 */
export async function recordAuditCheckpoint(pool: Pool, signer: Ed25519Signer, options: CheckpointOptions): Promise<AuditCheckpoint | null> {
  return withClient(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [checkpointLock]);
    if (!rows[0].locked) return null;
    try {
      return await inClientTransaction(client, (tx) => checkpointInSnapshot(tx, signer, options), 'BEGIN ISOLATION LEVEL REPEATABLE READ');
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [checkpointLock]).catch(() => undefined);
    }
  });
}

/** One walk and its checkpoint, in one snapshot: appends made meanwhile neither show up halfway nor break it. */
async function checkpointInSnapshot(client: Queryable, signer: Ed25519Signer, options: CheckpointOptions): Promise<AuditCheckpoint | null> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const { checkpoint: previous } = await trustedAuditCheckpoint(client, [signer.publicKey]);
  const start = await walkStart(client, previous, startedAt.getTime() - options.walkFromGenesisEveryMs);
  const head = await walkAuditChain(client, start.position, { onPage: options.onPage });
  if (previous && !start.fromGenesis && head.afterSeq === previous.seq) return previous;
  // An empty chain has nothing to vouch for, unless it was emptied after a checkpoint.
  if (head.events === 0 && !head.brokenLink) return null;
  const claim: AuditCheckpointClaim = {
    seq: head.afterSeq,
    headHash: head.headHash,
    events: head.events,
    previousSeq: start.fromGenesis ? null : start.previous.seq,
    walkedFromGenesisAt: start.fromGenesis ? startedAt.toISOString() : start.previous.walkedFromGenesisAt,
    brokenLink: head.brokenLink ?? null,
    checkedAt: now().toISOString(),
  };
  const checkpoint: AuditCheckpoint = { ...claim, publicKey: signer.publicKey, signature: signer.sign(checkpointSigningText(claim)) };
  await client.query(
    `INSERT INTO audit_checkpoints (seq, head_hash, events, previous_seq, walked_from_genesis_at, broken_link, checked_at, public_key, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      checkpoint.seq,
      checkpoint.headHash,
      checkpoint.events,
      checkpoint.previousSeq,
      checkpoint.walkedFromGenesisAt,
      checkpoint.brokenLink && JSON.stringify(checkpoint.brokenLink),
      checkpoint.checkedAt,
      checkpoint.publicKey,
      checkpoint.signature,
    ],
  );
  return checkpoint;
}
