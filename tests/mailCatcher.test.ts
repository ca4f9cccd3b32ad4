import nodemailer, { type SendMailOptions } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type CaughtMail, type MailCatcher } from '../scripts/mailCatcher';

describe('mail catcher', () => {
  let catcher: MailCatcher;

  beforeAll(async () => {
    catcher = await startMailCatcher({ smtpPort: 0, httpPort: 0 });
  });
  afterAll(async () => {
    await catcher.close();
  });

  function send(mail: SendMailOptions) {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: catcher.smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    return transport.sendMail({ from: 'aims-flow <noreply@aims.test>', ...mail });
  }

  it('catches a mail sent over plain SMTP with its links in order and without repeats', async () => {
    const waiting = catcher.waitFor((m) => m.subject === 'Review requested');
    await send({
      to: 'owner@aims.test',
      bcc: 'auditor@aims.test',
      subject: 'Review requested',
      text: 'Please decide: https://aims.test/actions/abc?x=1&y=2.\n' + 'Details (https://aims.test/systems/7) and again https://aims.test/actions/abc?x=1&y=2',
      html: '<p><a href="https://aims.test/actions/abc?x=1&amp;y=2">Decide</a> <a href="mailto:x@y">mail</a> <a href=\'http://aims.test/help\'>help</a></p>',
    });
    const mail = await waiting;

    expect(mail).toMatchObject({
      from: 'noreply@aims.test',
      to: ['owner@aims.test', 'auditor@aims.test'],
      subject: 'Review requested',
    });
    expect(mail.messageId).toMatch(/^<.+@.+>$/);
    expect(mail.html).toContain('Decide');
    expect(mail.links).toEqual(['https://aims.test/actions/abc?x=1&y=2', 'https://aims.test/systems/7', 'http://aims.test/help']);
  });

  it('resolves waitFor with a mail that arrived before the wait began', async () => {
    await send({ to: 'lead@aims.test', subject: 'Already here', text: 'no links' });
    const mail = await catcher.waitFor((m) => m.subject === 'Already here', 100);
    expect(mail.links).toEqual([]);
  });

  it('rejects waitFor after the timeout, naming the subjects it did receive', async () => {
    await expect(catcher.waitFor((m) => m.subject === 'Never sent', 50)).rejects.toThrow(/subjects received: .*"Review requested"/);
  });

  it('serves a web view that lists messages newest first, escapes content and makes text links clickable', async () => {
    await send({ to: 'owner@aims.test', subject: '<script>alert(1)</script>', text: 'Open https://aims.test/x' });
    const mail = await catcher.waitFor((m) => m.subject.startsWith('<script>'));
    const base = `http://127.0.0.1:${catcher.httpPort}`;

    const index = await (await fetch(`${base}/`)).text();
    expect(index).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(index).not.toContain('<script>');
    expect(index.indexOf(`/messages/${mail.id}`)).toBeLessThan(index.indexOf('Review requested'));

    const page = await fetch(`${base}/messages/${mail.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('<a href="https://aims.test/x">https://aims.test/x</a>');

    const api = (await (await fetch(`${base}/api/messages`)).json()) as CaughtMail[];
    expect(api[0]).toMatchObject({ id: mail.id, subject: mail.subject, links: ['https://aims.test/x'] });
    expect(api.map((m) => m.subject)).toContain('Review requested');

    expect((await fetch(`${base}/messages/999999`)).status).toBe(404);
  });

  it('clear forgets caught messages', async () => {
    catcher.clear();
    expect(catcher.messages).toEqual([]);
    await expect(catcher.waitFor(() => true, 50)).rejects.toThrow(/subjects received: none/);
  });
});
