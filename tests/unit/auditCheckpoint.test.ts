import { describe, expect, it } from 'vitest';
import { ed25519SignerFromPem } from '../../api/commandSigner';
import { chainProof, checkpointSignedByTrustedKey, checkpointSigningText, type AuditCheckpoint, type AuditCheckpointClaim } from '../../domain/auditCheckpoint';
import { newEd25519Pem } from '../helpers/keys';

const newSigner = () => ed25519SignerFromPem(newEd25519Pem(), 'test key');
const verifier = newSigner();

const claim: AuditCheckpointClaim = {
  seq: 120,
  headHash: 'a'.repeat(64),
  events: 118,
  previousSeq: 100,
  walkedFromGenesisAt: '2026-12-01T00:00:00.000Z',
  brokenLink: null,
  checkedAt: '2026-12-02T03:00:00.000Z',
};
const signedBy = (signer: typeof verifier, what: AuditCheckpointClaim): AuditCheckpoint => ({
  ...what,
  publicKey: signer.publicKey,
  signature: signer.sign(checkpointSigningText(what)),
});
const checkpoint = signedBy(verifier, claim);

describe('an audit checkpoint signature', () => {
  it('holds under the verifier key and breaks when any part of the claim is changed', () => {
    expect(checkpointSignedByTrustedKey(checkpoint, [verifier.publicKey])).toBe(true);
    const changes: Partial<AuditCheckpointClaim>[] = [
      { seq: 121 },
      { headHash: 'b'.repeat(64) },
      { events: 119 },
      { previousSeq: null },
      { walkedFromGenesisAt: '2026-12-02T00:00:00.000Z' },
      { brokenLink: { seq: 7, eventKey: 'k', reason: 'hash mismatch' } },
      { checkedAt: '2026-12-02T03:00:00.001Z' },
    ];
    for (const change of changes) expect(checkpointSignedByTrustedKey({ ...checkpoint, ...change }, [verifier.publicKey])).toBe(false);
  });

  it('counts only under a key the reader trusts, whoever signed', () => {
    const stranger = newSigner();
    expect(checkpointSignedByTrustedKey(signedBy(stranger, claim), [verifier.publicKey])).toBe(false);
    // The trusted key named beside a signature it did not make.
    expect(checkpointSignedByTrustedKey({ ...signedBy(stranger, claim), publicKey: verifier.publicKey }, [verifier.publicKey])).toBe(false);
    expect(checkpointSignedByTrustedKey({ ...checkpoint, signature: 'not hex' }, [verifier.publicKey])).toBe(false);
    // After a rotation the reader trusts both keys.
    expect(checkpointSignedByTrustedKey(checkpoint, [stranger.publicKey, verifier.publicKey])).toBe(true);
  });

  it('covers the text the README documents for checking it offline: a line of its own, then the claim as sorted JSON', () => {
    expect(new TextDecoder().decode(checkpointSigningText(claim))).toBe(
      'aims-flow audit checkpoint v1\n{"brokenLink":null,"checkedAt":"2026-12-02T03:00:00.000Z","events":118,"headHash":"' +
        'a'.repeat(64) +
        '","previousSeq":100,"seq":120,"walkedFromGenesisAt":"2026-12-01T00:00:00.000Z"}',
    );
  });
});

describe("a reader's proof of the chain", () => {
  const trusted = (checkpointInForce: AuditCheckpoint | null, newestUntrusted = false) => ({ checkpoint: checkpointInForce, newestUntrusted });

  it("says what the checkpoint covers of the system's events and what waits for the next", () => {
    expect(chainProof(trusted(checkpoint), { eventSeqs: [3, 50, 120, 121, 130] })).toEqual({
      status: 'intact',
      checkpoint,
      systemBrokenLink: null,
      coveredEvents: 3,
      pendingEvents: 2,
    });
    expect(chainProof(trusted(null), { eventSeqs: [3] })).toMatchObject({ status: 'unverified', coveredEvents: 0, pendingEvents: 1 });
  });

  it('is broken when the checkpoint found a break or one of the system’s own events does not link, whatever else holds', () => {
    const broken = signedBy(verifier, { ...claim, brokenLink: { seq: 50, eventKey: 'k', reason: 'prev_hash mismatch' } });
    expect(chainProof(trusted(broken), { eventSeqs: [3] }).status).toBe('broken');
    expect(chainProof(trusted(broken, true), { eventSeqs: [3] }).status).toBe('broken');
    const ownBreak = { seq: 3, eventKey: 'mine', reason: 'hash mismatch' as const };
    expect(chainProof(trusted(checkpoint), { eventSeqs: [3], firstBrokenLink: ownBreak })).toMatchObject({ status: 'broken', systemBrokenLink: ownBreak });
    expect(chainProof(trusted(null), { eventSeqs: [3], firstBrokenLink: ownBreak }).status).toBe('broken');
    expect(chainProof(trusted(checkpoint, true), { eventSeqs: [3] }).status).toBe('untrusted checkpoint');
  });
});
