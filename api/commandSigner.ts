import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { commandSignatureLifetimeMs, commandSigningText, type CommandProof, type SignedCommand } from '../domain/commandSignature';
import { ConfigError, type Config } from '../domain/config';
import type { Ed25519Signer } from '../domain/ed25519';

/** Signs the commands the api sends to workflows on people's behalf (DESIGN.md §5). */
export interface CommandSigner {
  /** Hex public key of the current signing key: the one new processes are started with. */
  readonly publicKey: string;
  sign(command: SignedCommand): CommandProof;
}

const rawPublicKeyHex = (key: KeyObject): string => Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url').toString('hex');

/** A signer from a PEM private key; `setting` names where the key came from in a refusal. */
export function ed25519SignerFromPem(pem: Buffer | string, setting: string): Ed25519Signer {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError(`${setting}: not a PEM private key (make one with \`openssl genpkey -algorithm ed25519\`)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new ConfigError(`${setting}: the key is ${key.asymmetricKeyType}, not ed25519`);
  return { publicKey: rawPublicKeyHex(key), sign: (message) => sign(null, message, key).toString('hex') };
}

/**
 * The current key signs, and so does the previous one during a rotation: processes started under it
 * verify with it until they end. `clock` sets when a signature expires.
 */
export function createCommandSigner(current: Buffer | string, previous?: Buffer | string, clock: () => number = Date.now): CommandSigner {
  const keys = [
    ed25519SignerFromPem(current, 'COMMAND_SIGNING_KEY_FILE'),
    ...(previous ? [ed25519SignerFromPem(previous, 'COMMAND_PREVIOUS_SIGNING_KEY_FILE')] : []),
  ];
  return {
    publicKey: keys[0].publicKey,
    sign(command) {
      const expiresAt = clock() + commandSignatureLifetimeMs;
      // Signed as the workflow will see it: after the JSON round trip of Temporal's payload converter.
      const text = commandSigningText({ ...command, args: JSON.parse(JSON.stringify(command.args)) }, expiresAt);
      return { expiresAt, signatures: keys.map((key) => ({ publicKey: key.publicKey, value: key.sign(text) })) };
    },
  };
}

/** The api's signer from its configuration, which must name a signing key. */
export function commandSignerFrom(config: Config, readFile: (path: string) => Buffer): CommandSigner {
  if (!config.COMMAND_SIGNING_KEY_FILE) throw new ConfigError('COMMAND_SIGNING_KEY_FILE is required: the api signs every command it sends to a workflow');
  return createCommandSigner(
    readFile(config.COMMAND_SIGNING_KEY_FILE),
    config.COMMAND_PREVIOUS_SIGNING_KEY_FILE && readFile(config.COMMAND_PREVIOUS_SIGNING_KEY_FILE),
  );
}
