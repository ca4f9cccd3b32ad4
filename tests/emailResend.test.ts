import type { Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, startHarness, submitActionForm, type Harness } from './helpers/harness';

/** The mail server accepts each message, then the connection drops before the worker hears so. */
function acceptThenFailOnce(mailer: Transporter): Transporter {
  const failed = new Set<string>();
  return new Proxy(mailer, {
    get(target, property, receiver) {
      if (property !== 'sendMail') return Reflect.get(target, property, receiver);
      return async (message: { messageId: string }) => {
        const info = await target.sendMail(message);
        if (!failed.has(message.messageId)) {
          failed.add(message.messageId);
          throw new Error('connection lost after the server accepted the message');
        }
        return info;
      };
    },
  });
}

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ wrapMailer: acceptThenFailOnce });
});
afterAll(() => h?.stop());

describe('an email sent again after the mail server already took it', () => {
  it('carries the same Message-ID, and the newer copy’s link replaces the first one’s', async () => {
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Twice sent' }) });
    const about = (m: { subject: string }) => m.subject.endsWith(': Twice sent');
    const copies = await eventually(async () => {
      const received = h.mail.messages.filter(about);
      return received.length === 2 ? received : undefined;
    });
    expect(copies[0].messageId).toBe(copies[1].messageId);
    expect(copies[0].links[0]).not.toBe(copies[1].links[0]);

    const replaced = await fetch(copies[0].links[0]);
    expect(replaced.status).toBe(410);
    expect(await replaced.text()).toContain('sent again with a new link, which replaced this one');
    expect((await submitActionForm(copies[1].links[0], { choice: 'accept' })).status).toBe(200);
    await eventually(async () => ((await h.api('GET', `/api/v1/systems/${filed.body.systemId}`)).body.system.state === 'assessment' ? true : undefined));
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NOT NULL');
    expect(rows[0].n).toBe(1);
    // The task closed, and its links end with it, after a short grace: not a year on.
    const tokens = await h.pool.query<{ expires_at: Date }>(
      'SELECT t.expires_at FROM action_tokens t JOIN tasks k ON k.id = t.task_id WHERE k.system_id = $1 AND k.status <> $2',
      [filed.body.systemId, 'open'],
    );
    expect(tokens.rows.length).toBeGreaterThan(0);
    for (const { expires_at } of tokens.rows) expect(expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 5_000);
  });
});
