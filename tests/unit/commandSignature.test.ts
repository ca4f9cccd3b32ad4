import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCommandSigner } from '../../api/commandSigner';
import { commandSignatureLifetimeMs, verifyCommand, type SignedCommand } from '../../domain/commandSignature';
import { newEd25519Pem } from '../helpers/keys';

const signedAt = 1_800_000_000_000;
const signer = createCommandSigner(newEd25519Pem(), undefined, () => signedAt);
const command: SignedCommand = {
  name: 'decideTask',
  workflowId: 'task-1',
  updateId: 'key-1',
  args: { actorId: 'rick', choice: 'approve', snapshotHash: 'a'.repeat(64), comment: undefined, submission: { risks: [{ id: 'r1', likelihood: 2 }] } },
};
const proof = signer.sign(command);
const during = signedAt + 1_000;

describe('the command signature check', () => {
  it.each<[string, Partial<SignedCommand>]>([
    ['another actor', { args: { ...command.args, actorId: 'grace' } }],
    ['another choice', { args: { ...command.args, choice: 'reject' } }],
    ['another snapshot', { args: { ...command.args, snapshotHash: 'b'.repeat(64) } }],
    ['another submission', { args: { ...command.args, submission: { risks: [{ id: 'r1', likelihood: 1 }] } } }],
    ['another task', { workflowId: 'task-2' }],
    ['another update id', { updateId: 'key-2' }],
    ['another command', { name: 'delegateTask' }],
  ])('refuses the signature of one command for %s', (_what, change) => {
    expect(verifyCommand(signer.publicKey, { ...command, ...change }, proof, during)).toBe('forged');
  });

  it('accepts the command as signed, also after the JSON round trip to the workflow, until it expires', () => {
    const roundTripped = JSON.parse(JSON.stringify(command.args));
    expect(verifyCommand(signer.publicKey, { ...command, args: roundTripped }, proof, during)).toBe('valid');
    expect(verifyCommand(signer.publicKey, command, proof, signedAt + commandSignatureLifetimeMs)).toBe('valid');
    expect(verifyCommand(signer.publicKey, command, proof, signedAt + commandSignatureLifetimeMs + 1)).toBe('expired');
  });

  it('refuses a moved expiry, a missing or malformed proof, and a key the workflow was not started with', () => {
    expect(verifyCommand(signer.publicKey, command, { ...proof, expiresAt: proof.expiresAt + 60_000 }, during)).toBe('forged');
    expect(verifyCommand(signer.publicKey, command, undefined, during)).toBe('unsigned');
    expect(verifyCommand(signer.publicKey, command, { expiresAt: proof.expiresAt, signatures: [{ publicKey: signer.publicKey, value: 'zz' }] }, during)).toBe(
      'forged',
    );
    expect(verifyCommand(signer.publicKey, command, { expiresAt: proof.expiresAt, signatures: [] }, during)).toBe('forged');
    const stranger = createCommandSigner(newEd25519Pem(), undefined, () => signedAt);
    expect(verifyCommand(signer.publicKey, command, stranger.sign(command), during)).toBe('forged');
    // A stranger's proof naming the workflow's key, with the stranger's signature under it.
    const relabelled = { ...stranger.sign(command), signatures: [{ ...stranger.sign(command).signatures[0], publicKey: signer.publicKey }] };
    expect(verifyCommand(signer.publicKey, command, relabelled, during)).toBe('forged');
  });

  it('signs with the previous key too during a rotation, so either key verifies', () => {
    const previous = newEd25519Pem();
    const before = createCommandSigner(previous);
    const rotated = createCommandSigner(newEd25519Pem(), previous, () => signedAt);
    const both = rotated.sign(command);
    expect(verifyCommand(before.publicKey, command, both, during)).toBe('valid');
    expect(verifyCommand(rotated.publicKey, command, both, during)).toBe('valid');
  });

  it('refuses to start with a key that is not Ed25519', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    expect(() => createCommandSigner(rsa)).toThrow('not ed25519');
    expect(() => createCommandSigner('not a key')).toThrow('not a PEM private key');
  });
});
