import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './helpers/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.stop());

const askForLink = (email: string) =>
  fetch(`${h.baseUrl}/signin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email }) });

describe('web pages without a browser', () => {
  it('answers a known and an unknown address alike, and sends a person at most five links per quarter hour', async () => {
    const unknown = await askForLink('nobody@example.test');
    const known = await askForLink(h.people.auditor.email);
    expect(unknown.status).toBe(known.status);
    expect((await unknown.text()).replace('nobody@example.test', '')).toBe((await known.text()).replace(h.people.auditor.email, ''));

    for (let attempt = 0; attempt < 6; attempt++) expect((await askForLink(h.people.auditor.email)).status).toBe(200);
    await h.mail.waitFor((m) => m.to.includes(h.people.auditor.email) && m.subject === 'Your aims-flow sign-in link');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const links = h.mail.messages.filter((m) => m.to.includes(h.people.auditor.email) && m.subject === 'Your aims-flow sign-in link');
    expect(links).toHaveLength(5);
    expect(h.mail.messages.some((m) => m.to.includes('nobody@example.test'))).toBe(false);
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
