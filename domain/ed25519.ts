import { hashes, verify } from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';

// Pure JavaScript SHA-512, so verification runs the same in a workflow as anywhere else.
hashes.sha512 = sha512;

/** Whether a hex Ed25519 signature over `message` verifies under a hex public key; malformed input is false. */
export function ed25519Verifies(signatureHex: string, message: Uint8Array, publicKeyHex: string): boolean {
  try {
    // zip215: false is RFC 8032's strict check: one message, one valid encoding of its signature.
    return verify(hexToBytes(signatureHex), message, hexToBytes(publicKeyHex), { zip215: false });
  } catch {
    return false;
  }
}

/** Signs with one Ed25519 key held outside the domain: the api's command keys, the audit verifier's key. */
export interface Ed25519Signer {
  /** Hex raw public key. */
  readonly publicKey: string;
  /** Hex signature. */
  sign(message: Uint8Array): string;
}
