import { randomUUID } from 'node:crypto';
import { appendAuditEvent } from '../../db/audit';
import { inTransaction, type Pool } from '../../db/pool';
import { endSessionsOf } from '../../db/sessions';

/** Ends a person's sessions (one, or all), in the audit chain with who ended them. */
export async function endSessions(pool: Pool, input: { principalId: string; actorId: string; publicId?: string }): Promise<number> {
  return inTransaction(pool, async (tx) => {
    const ended = await endSessionsOf(tx, input.principalId, input.publicId);
    if (ended > 0) {
      await appendAuditEvent(tx, {
        key: `sessions:${input.principalId}:${randomUUID()}`,
        type: 'principal.sessions_ended',
        actorId: input.actorId,
        data: { principalId: input.principalId, ended, ...(input.publicId && { session: input.publicId }) },
      });
    }
    return ended;
  });
}
