import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const askForLink = (email: string) =>
  fetch(`${h.baseUrl}/signin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email }) });

describe('web pages without a browser', () => {
  it('answers a known and an unknown address alike, also at the limit of five links per address per quarter hour', async () => {
    const alike = async (unknown: Response, known: Response) => {
      expect(unknown.status).toBe(known.status);
      expect((await unknown.text()).replace('nobody@example.test', '')).toBe((await known.text()).replace(h.people.auditor.email, ''));
    };
    await alike(await askForLink('nobody@example.test'), await askForLink(h.people.auditor.email));
    for (let attempt = 1; attempt < 5; attempt++) {
      expect((await askForLink('nobody@example.test')).status).toBe(200);
      expect((await askForLink(h.people.auditor.email)).status).toBe(200);
    }
    const [unknown, known] = [await askForLink('nobody@example.test'), await askForLink(h.people.auditor.email)];
    expect(known.status).toBe(429);
    expect(await known.clone().text()).toContain('no email was sent');
    await alike(unknown, known);

    const links = () => h.mail.messages.filter((m) => m.to.includes(h.people.auditor.email) && m.subject === 'Your aims-flow sign-in link');
    await eventually(async () => (links().length === 5 ? true : undefined));
    expect(h.mail.messages.some((m) => m.to.includes('nobody@example.test'))).toBe(false);
    // The window is 15 minutes: requests older than that no longer count.
    await h.pool.query(`UPDATE sign_in_requests SET requested_at = requested_at - interval '15 minutes 1 second'`);
    expect((await askForLink(h.people.auditor.email)).status).toBe(200);
    await eventually(async () => (links().length === 6 ? true : undefined));
  });

  it('answers a person with a page, not JSON, when a page request fails, with the id of the log line', async () => {
    const tooLarge = await fetch(`${h.baseUrl}/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: `email=${'a'.repeat(100_000)}`,
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('content-type')).toContain('text/html');
    expect(tooLarge.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await tooLarge.text()).toMatch(/the request body is too large[\s\S]*Error id: <code>[0-9a-f-]{36}<\/code>/);
  });
});
