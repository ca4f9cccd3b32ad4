import { readFile } from 'node:fs/promises';
import { sha256Hex } from '../db/hashing';
import { canonicalJson, defaultPolicy, policySchema, type Policy, type PolicyInput } from '../domain/policy';

/** Validates a policy and stamps it with a version: the hash of its canonical form. */
export function preparePolicy(input: PolicyInput): Policy {
  const parsed = policySchema.parse(input);
  const version = sha256Hex(canonicalJson(parsed)).slice(0, 16);
  return { ...parsed, version };
}

export async function loadPolicy(file: string | undefined): Promise<Policy> {
  if (!file) return preparePolicy(defaultPolicy);
  return preparePolicy(JSON.parse(await readFile(file, 'utf8')));
}
