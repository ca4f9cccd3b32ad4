import { checkpointSignedByTrustedKey, checkpointSigningText, type AuditCheckpoint, type AuditCheckpointClaim } from '../domain/auditCheckpoint';
import type { Ed25519Signer } from '../domain/ed25519';
import { chainGenesis, inReadOnlySnapshot, walkAuditChain, type ChainPosition } from './auditVerify';
import type { Pool, Queryable } from './pool';

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

/** The checkpoint in force: the last one written. */
export async function latestAuditCheckpoint(db: Queryable): Promise<AuditCheckpoint | null> {
  const { rows } = await db.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1');
  return rows[0] ? toCheckpoint(rows[0]) : null;
}

/**
 * Where the next walk may start. Only from a checkpoint this verifier signed, whose last event still
 * carries the hash it vouched for, and whose walk from genesis is recent enough; otherwise from genesis,
 * which also finds an edit inside the part already vouched for.
 */
async function walkStart(db: Queryable, signer: Ed25519Signer, latest: AuditCheckpoint | null, fromGenesisBefore: number) {
  const fromGenesis = { position: chainGenesis, previous: null };
  if (!latest || !checkpointSignedByTrustedKey(latest, [signer.publicKey])) return fromGenesis;
  if (Date.parse(latest.walkedFromGenesisAt) < fromGenesisBefore) return fromGenesis;
  const { rows } = await db.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = $1', [latest.seq]);
  if (rows[0]?.hash !== latest.headHash) return fromGenesis;
  const position: ChainPosition = { afterSeq: latest.seq, headHash: latest.headHash, events: latest.events, ...(latest.brokenLink && { brokenLink: latest.brokenLink }) };
  return { position, previous: latest };
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
 * signed. Nothing is written when no event was appended since a checkpoint that still stands.
 */
export async function recordAuditCheckpoint(pool: Pool, signer: Ed25519Signer, options: CheckpointOptions): Promise<AuditCheckpoint | null> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const { head, previous } = await inReadOnlySnapshot(pool, async (client) => {
    const latest = await latestAuditCheckpoint(client);
    const start = await walkStart(client, signer, latest, startedAt.getTime() - options.walkFromGenesisEveryMs);
    return { head: await walkAuditChain(client, start.position, { onPage: options.onPage }), previous: start.previous };
  });
  if (head.events === 0) return null;
  if (previous && head.afterSeq === previous.seq) return previous;
  const claim: AuditCheckpointClaim = {
    seq: head.afterSeq,
    headHash: head.headHash,
    events: head.events,
    previousSeq: previous?.seq ?? null,
    walkedFromGenesisAt: previous?.walkedFromGenesisAt ?? startedAt.toISOString(),
    brokenLink: head.brokenLink ?? null,
    checkedAt: now().toISOString(),
  };
  const checkpoint: AuditCheckpoint = { ...claim, publicKey: signer.publicKey, signature: signer.sign(checkpointSigningText(claim)) };
  await pool.query(
    `INSERT INTO audit_checkpoints (seq, head_hash, events, previous_seq, walked_from_genesis_at, broken_link, checked_at, public_key, signature)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [checkpoint.seq, checkpoint.headHash, checkpoint.events, checkpoint.previousSeq, checkpoint.walkedFromGenesisAt, checkpoint.brokenLink && JSON.stringify(checkpoint.brokenLink), checkpoint.checkedAt, checkpoint.publicKey, checkpoint.signature],
  );
  return checkpoint;
}
