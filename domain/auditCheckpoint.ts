import { ed25519Verifies } from './ed25519';
import { canonicalJson } from './policy';

export type BrokenLinkReason =
  | 'hash mismatch'
  | 'prev_hash mismatch'
  /** The event after this one links to another hash: this one was rehashed, or the next rewritten. */
  | 'next event does not link'
  /** The event a signed checkpoint ended on no longer carries the hash it vouched for, or is gone. */
  | 'changed after a checkpoint'
  | 'removed after a checkpoint';

/** The first audit event that does not follow from the one before it. */
export interface BrokenLink {
  seq: number;
  eventKey: string;
  reason: BrokenLinkReason;
}

/**
 * What the background verifier found when it last walked the audit chain, signed with its key. A
 * checkpoint extends the one before it (or starts from genesis), so the chain of checkpoints vouches
 * for every event up to `seq` without anyone walking them again.
 */
export interface AuditCheckpointClaim {
  /** The last event the walk covered. */
  seq: number;
  /** That event's stored hash: a later rewrite of the chain up to here changes it. */
  headHash: string;
  /** Events in the chain from genesis through `seq`. */
  events: number;
  /** The checkpoint this walk went on from; null when it walked from genesis. */
  previousSeq: number | null;
  /** When the chain was last walked from genesis, up to the checkpoint this one extends. */
  walkedFromGenesisAt: string;
  /** The first broken link found from genesis on; once broken, the chain stays broken. */
  brokenLink: BrokenLink | null;
  checkedAt: string;
}

export interface AuditCheckpoint extends AuditCheckpointClaim {
  /** Hex Ed25519 public key of the verifier that signed. */
  publicKey: string;
  /** Hex Ed25519 signature over the checkpoint's signing text. */
  signature: string;
}

/** The exact text a checkpoint's signature covers; domain-separated from the commands the api signs. */
export function checkpointSigningText(claim: AuditCheckpointClaim): Uint8Array {
  const { seq, headHash, events, previousSeq, walkedFromGenesisAt, brokenLink, checkedAt } = claim;
  return new TextEncoder().encode(
    `aims-flow audit checkpoint v1\n${canonicalJson({ seq, headHash, events, previousSeq, walkedFromGenesisAt, brokenLink, checkedAt })}`,
  );
}

/** Whether the checkpoint was signed by one of the trusted verifier keys. */
export function checkpointSignedByTrustedKey(checkpoint: AuditCheckpoint, trustedKeys: readonly string[]): boolean {
  return trustedKeys.includes(checkpoint.publicKey) && ed25519Verifies(checkpoint.signature, checkpointSigningText(checkpoint), checkpoint.publicKey);
}

export type ChainStatus =
  /** Every event up to the checkpoint follows from genesis, and this system's events link where they sit. */
  | 'intact'
  | 'broken'
  /** The background verifier has not checkpointed the chain yet. */
  | 'unverified'
  /** The newest checkpoint was not signed by a trusted verifier: written past it, or under a key the api does not trust. */
  | 'untrusted checkpoint';

/**
 * What a reader of one system's events is told about the chain they sit in: the checkpoint that vouches
 * for them, whether each of them links where it sits, and how many came after the checkpoint.
 */
export interface ChainProof {
  status: ChainStatus;
  /** The last checkpoint a trusted key signed. */
  checkpoint: AuditCheckpoint | null;
  /** The first of this system's events that does not link to its neighbours (its seq and key). */
  systemBrokenLink: BrokenLink | null;
  /** Events of this system the checkpoint covers, and those appended since. */
  coveredEvents: number;
  pendingEvents: number;
}

export function chainProof(
  trusted: { checkpoint: AuditCheckpoint | null; newestUntrusted: boolean },
  system: { eventSeqs: readonly number[]; firstBrokenLink?: BrokenLink },
): ChainProof {
  const { checkpoint } = trusted;
  const covered = checkpoint ? system.eventSeqs.filter((seq) => seq <= checkpoint.seq).length : 0;
  const status: ChainStatus =
    system.firstBrokenLink || checkpoint?.brokenLink ? 'broken' : trusted.newestUntrusted ? 'untrusted checkpoint' : checkpoint ? 'intact' : 'unverified';
  return { status, checkpoint, systemBrokenLink: system.firstBrokenLink ?? null, coveredEvents: covered, pendingEvents: system.eventSeqs.length - covered };
}
