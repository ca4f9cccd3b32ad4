import { generateKeyPairSync } from 'node:crypto';

/** A fresh Ed25519 private key in PEM, as `openssl genpkey -algorithm ed25519` makes one. */
export const newEd25519Pem = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
