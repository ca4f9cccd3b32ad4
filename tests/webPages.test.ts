import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieFrom, eventually, signInByEmail, startHarness, type Harness } from './helpers/harness';

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

  it('sends five links and no more when twelve requests for one address arrive at once', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, () => askForLink(h.people.leadManager.email).then((answer) => answer.status)));
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(7);
    const links = () => h.mail.messages.filter((m) => m.to.includes(h.people.leadManager.email) && m.subject === 'Your aims-flow sign-in link');
    await eventually(async () => (links().length === 5 ? true : undefined));
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

describe('sign-in links and sessions', () => {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('work for 10 minutes in the browser that asked, once, and using one ends the person’s other links', async () => {
    const ask = (cookie?: string) =>
      fetch(`${h.baseUrl}/signin`, {
        method: 'POST',
        headers: { ...form, ...(cookie && { cookie }) },
        body: new URLSearchParams({ email: h.people.risk.email }),
      });
    const first = await ask();
    const browser = cookieFrom(first, 'aims_signin')!;
    expect(first.headers.getSetCookie().find((cookie) => cookie.startsWith('aims_signin='))).toMatch(/Max-Age=600; Path=\/; .*HttpOnly; SameSite=Lax/);
    expect(await first.text()).toContain('It works once, for 10 minutes, in this browser.');
    const links = async (n: number) =>
      (
        await eventually(async () => {
          const sent = h.mail.messages.filter((m) => m.to.includes(h.people.risk.email) && m.subject === 'Your aims-flow sign-in link');
          return sent.length === n ? sent : undefined;
        })
      ).map((m) => m.links[0]);
    const [firstLink] = await links(1);
    // The same browser asking again keeps its cookie, so both its links are its own.
    expect(cookieFrom(await ask(browser), 'aims_signin')).toBe(browser);
    const [, secondLink] = await links(2);

    const elsewhere = await fetch(secondLink);
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).toContain('works only in the browser where it was asked for');
    expect((await fetch(secondLink, { method: 'POST', redirect: 'manual', headers: form, body: new URLSearchParams({ next: '/' }) })).status).toBe(403);
    const signedIn = await fetch(secondLink, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...form, cookie: browser },
      body: new URLSearchParams({ next: '/' }),
    });
    expect(signedIn.status).toBe(303);
    expect(cookieFrom(signedIn, 'aims_session')).toBeDefined();
    expect((await fetch(firstLink, { headers: { cookie: browser } })).status).toBe(410);
  });

  it('end after half an hour idle, and a person sees and ends their sessions on a page', async () => {
    const phone = await signInByEmail(h, 'privacy');
    const laptop = await signInByEmail(h, 'privacy');
    const page = await (await fetch(`${h.baseUrl}/sessions`, { headers: { cookie: laptop.sessionCookie } })).text();
    expect(page.match(/End this session/g)).toHaveLength(2);
    expect(page).toContain('(this browser)');
    const csrf = page.match(/name="_csrf" value="([^"]+)"/)![1];
    const phoneId = [...page.matchAll(/name="session" value="([^"]+)"/g)].map((match) => match[1]);
    const { rows } = await h.pool.query<{ public_id: string }>('SELECT public_id FROM web_sessions WHERE id_hash = encode(sha256(convert_to($1, $2)), $3)', [
      decodeURIComponent(phone.sessionCookie.split('=')[1]),
      'UTF8',
      'hex',
    ]);
    expect(phoneId).toContain(rows[0].public_id);
    const ended = await fetch(`${h.baseUrl}/sessions/end`, {
      method: 'POST',
      redirect: 'manual',
      headers: { ...form, cookie: laptop.sessionCookie },
      body: new URLSearchParams({ _csrf: csrf, session: rows[0].public_id }),
    });
    expect(ended.headers.get('location')).toBe('/sessions');
    expect((await fetch(`${h.baseUrl}/tasks`, { redirect: 'manual', headers: { cookie: phone.sessionCookie } })).status).toBe(303);
    expect((await fetch(`${h.baseUrl}/tasks`, { redirect: 'manual', headers: { cookie: laptop.sessionCookie } })).status).toBe(200);

    // Thirty-one minutes without a request: the session is over, though its eight hours are not.
    await h.pool.query(`UPDATE web_sessions SET last_seen_at = now() - interval '31 minutes' WHERE principal_id = 'privacy'`);
    expect((await fetch(`${h.baseUrl}/tasks`, { redirect: 'manual', headers: { cookie: laptop.sessionCookie } })).headers.get('location')).toMatch(/^\/signin/);
  });

  it('are ended everywhere by an admin, with the admin named in the audit chain', async () => {
    const { sessionCookie } = await signInByEmail(h, 'executive');
    await h.pool.query(`UPDATE principals SET roles = ARRAY['admin'] WHERE id = 'lead2'`);
    try {
      expect((await h.api('DELETE', '/api/v1/principals/executive/sessions', { as: 'lead' })).status).toBe(403);
      expect((await h.api('DELETE', '/api/v1/principals/nobody/sessions', { as: 'lead2' })).status).toBe(404);
      const revoked = await h.api('DELETE', '/api/v1/principals/executive/sessions', { as: 'lead2' });
      expect(revoked.body).toEqual({ principalId: 'executive', ended: 1 });
      expect((await fetch(`${h.baseUrl}/tasks`, { redirect: 'manual', headers: { cookie: sessionCookie } })).status).toBe(303);
      const { rows } = await h.pool.query(
        `SELECT actor_id, data FROM audit_events WHERE type = 'principal.sessions_ended' AND data->>'principalId' = 'executive'`,
      );
      expect(rows).toEqual([{ actor_id: 'lead2', data: { principalId: 'executive', ended: 1 } }]);
    } finally {
      await h.pool.query(`UPDATE principals SET roles = '{}' WHERE id = 'lead2'`);
    }
  });
});
