import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../db/hashing';
import { canonicalJson } from '../domain/policy';
import type { Principal } from '../domain/principal';
import type { IntakeRequest } from '../domain/system';
import { processSearchAttributes, workflowIds, workflowTypes, type IntakeWorkflowInput } from '../workflows/contracts';
import type { ApiDeps } from './deps';
import { startProcessOnce } from './processes';

/** The same owner and idempotency key always name the same system, so a retried intake finds it. */
function systemIdFor(ownerId: string, key: string | undefined): string {
  const hex = key ? sha256Hex(`${ownerId}\n${key}`) : sha256Hex(randomUUID());
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Files an intake: starts its workflow, which registers the system. A retry with the same key finds
 * the first system; the same key with a different intake is refused.
 */
export async function fileIntake(
  deps: ApiDeps,
  owner: Principal,
  intake: IntakeRequest,
  idempotencyKey: string | undefined,
): Promise<{ systemId: string; workflowId: string; replayed: boolean }> {
  const systemId = systemIdFor(owner.id, idempotencyKey);
  const workflowId = workflowIds.intake(systemId);
  const requestFingerprint = sha256Hex(canonicalJson(intake));
  const input: IntakeWorkflowInput = { systemId, ownerId: owner.id, intake, policy: deps.policy };
  const { replayed } = await startProcessOnce(deps, {
    workflowType: workflowTypes.intake,
    workflowId,
    args: [input],
    requestFingerprint,
    searchAttributes: processSearchAttributes(systemId, 'intake', { state: 'intake' }),
    what: 'intake request',
  });
  return { systemId, workflowId, replayed };
}
