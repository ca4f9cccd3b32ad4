import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { appendAuditEvent } from '../../db/audit';
import { inTransaction } from '../../db/pool';
import { currentDelegation, principalsByIds, setDelegation } from '../../db/principals';
import { openSeatExcluding } from '../../db/tasks';
import ms from 'ms';
import { text } from '../../domain/fields';
import { mayHoldSeats } from '../../domain/seatRules';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { parseBody } from '../validate';

export const delegationBody = z.strictObject({
  to: text(200),
  until: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }).refine((until) => new Date(until) > new Date(), 'must be in the future'),
});

/** The caller's own profile and out-of-office delegation: tasks opened while away go to the delegate. */
export function meRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    res.json({ principal: req.principal, delegation: await currentDelegation(deps.pool, req.principal!.id) });
  });

  router.put('/delegation', async (req, res) => {
    const body = parseBody(delegationBody, req);
    const me = req.principal!;
    const invalid = (field: 'to' | 'until', message: string) => new AppError(400, 'invalid_input', 'the request body is invalid', { [field]: [message] });
    if (body.to === me.id) throw invalid('to', 'you cannot delegate to yourself');
    const [delegate] = await principalsByIds(deps.pool, [body.to]);
    if (!delegate) throw invalid('to', `no principal '${body.to}'`);
    if (!mayHoldSeats(delegate.roles)) throw invalid('to', `${delegate.id} is an auditor, and auditors never hold a seat`);
    const longest = deps.policy.outOfOffice.maxLength;
    if (new Date(body.until).getTime() - Date.now() > longest) throw invalid('until', `an out-of-office lasts at most ${ms(longest, { long: true })}`);
    const conflict = await openSeatExcluding(deps.pool, me.id, delegate.id);
    if (conflict) throw invalid('to', `${delegate.id} is the requester or the owner of a task you hold (${conflict}), which they may not decide`);
    await inTransaction(deps.pool, async (db) => {
      await setDelegation(db, me.id, { delegateId: delegate.id, until: body.until });
      await appendAuditEvent(db, {
        key: `delegation:${me.id}:${randomUUID()}`,
        type: 'principal.delegation_set',
        actorId: me.id,
        data: { delegateId: delegate.id, until: body.until },
      });
    });
    res.json({ delegation: { to: delegate.id, until: new Date(body.until).toISOString() } });
  });

  router.delete('/delegation', async (req, res) => {
    const me = req.principal!;
    await inTransaction(deps.pool, async (db) => {
      await setDelegation(db, me.id, null);
      await appendAuditEvent(db, { key: `delegation:${me.id}:${randomUUID()}`, type: 'principal.delegation_ended', actorId: me.id });
    });
    res.status(204).end();
  });

  return router;
}
