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
  it('carries the same Message-ID, and the link in either copy still decides', async () => {
    const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Twice sent' }) });
    const about = (m: { subject: string }) => m.subject.endsWith(': Twice sent');
    const copies = await eventually(async () => {
      const received = h.mail.messages.filter(about);
      return received.length === 2 ? received : undefined;
    });
    expect(copies[0].messageId).toBe(copies[1].messageId);
    expect(copies[0].links[0]).not.toBe(copies[1].links[0]);

    expect((await fetch(copies[1].links[0])).status).toBe(200);
    expect((await submitActionForm(copies[0].links[0], { choice: 'accept' })).status).toBe(200);
    await eventually(async () => ((await h.api('GET', `/api/v1/systems/${filed.body.systemId}`)).body.system.state === 'assessment' ? true : undefined));
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM outbox WHERE sent_at IS NOT NULL');
    expect(rows[0].n).toBe(1);
  });
});
