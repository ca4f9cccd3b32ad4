import { createHash } from 'node:crypto';

/** Hex SHA-256 of the text: content hashes, the audit chain, deterministic ids and stored secrets. */
export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
