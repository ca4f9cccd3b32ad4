import { ed25519Verifies } from './ed25519';
import { canonicalJson } from './policy';

/**
 * The commands people send to running processes. Each is signed by the api, so a message that reaches
 * Temporal any other way cannot decide, reassign, delegate, withdraw or amend as anyone.
 */
export const signedCommandNames = [
  'decideTask',
  'delegateTask',
  'reassignTask',
  'withdrawTask',
  'amendSubject',
  'withdrawIntake',
  'assessSeriousness',
] as const;
export type SignedCommandName = (typeof signedCommandNames)[number];

/** Long enough for the api's retries of one request, short enough that a captured command soon dies. */
export const commandSignatureLifetimeMs = 2 * 60_000;

export interface CommandSignature {
  /** Hex Ed25519 public key: the verifier takes the one its workflow was started with. */
  publicKey: string;
  /** Hex Ed25519 signature over the command's signing text. */
  value: string;
}

/** Travels inside the command's input; the signature covers everything else in that input. */
export interface CommandProof {
  expiresAt: number;
  /** One per signing key the api holds: during a key rotation, workflows started under the old key still verify. */
  signatures: CommandSignature[];
}

export interface SignedCommand {
  name: SignedCommandName;
  /** The workflow the command is addressed to: a command for one task is worthless at another. */
  workflowId: string;
  /** Temporal's Update id (the client's Idempotency-Key): the same signed command applies once. */
  updateId: string;
  /** The command's input without its proof: actor, choice, snapshot hash, submission, target, reason. */
  args: object;
}

/** The exact text that is signed; domain-separated so no other signed text can pass for a command. */
export function commandSigningText(command: SignedCommand, expiresAt: number): Uint8Array {
  const { name, workflowId, updateId, args } = command;
  return new TextEncoder().encode(`aims-flow command v1\n${canonicalJson({ name, workflowId, updateId, expiresAt, args })}`);
}

export type CommandVerdict = 'valid' | 'unsigned' | 'expired' | 'forged';

/**
 * Judges a command's proof against the public key its workflow was started with, at the workflow's
 * time. Pure and synchronous, so an Update validator can call it.
 */
export function verifyCommand(publicKey: string, command: SignedCommand, proof: CommandProof | undefined, now: number): CommandVerdict {
  if (!proof || !Array.isArray(proof.signatures) || typeof proof.expiresAt !== 'number') return 'unsigned';
  const signature = proof.signatures.find((candidate) => candidate?.publicKey === publicKey);
  if (!signature || typeof signature.value !== 'string') return 'forged';
  if (!ed25519Verifies(signature.value, commandSigningText(command, proof.expiresAt), publicKey)) return 'forged';
  // Judged after the signature, so a forged proof is never reported as merely late.
  return now > proof.expiresAt ? 'expired' : 'valid';
}

/** A command's input without its proof: what the signature covers. */
export function withoutProof<Input extends { signed?: CommandProof }>(input: Input): Omit<Input, 'signed'> {
  const { signed: _proof, ...args } = input;
  return args;
}
