import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { signInByEmail, startHarness, type Harness } from './helpers/harness';

let h: Harness;
let httpsApp: string;
let server: http.Server;
beforeAll(async () => {
  h = await startHarness();
  // The same app as deployed behind TLS: its base URL is https, whatever carries the bytes here.
  server = http.createServer(createApp({ ...h.deps, publicBaseUrl: 'https://aims-flow.example' }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  httpsApp = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.close();
  await h?.stop();
});

const signInForm = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/signin`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ email: h.people.lead.email }),
  });

describe('every answer', () => {
  it('is neither sniffed, framed nor cached, and sends no Referer to another site: API, pages, docs, errors', async () => {
    const answers = {
      api: await fetch(`${h.baseUrl}/api/v1/tasks`, { headers: { authorization: `Bearer ${h.people.lead.apiKey}` } }),
      unauthenticated: await fetch(`${h.baseUrl}/api/v1/tasks`),
      page: await fetch(`${h.baseUrl}/signin`),
      docs: await fetch(`${h.baseUrl}/docs`),
      openapi: await fetch(`${h.baseUrl}/openapi.json`),
      missing: await fetch(`${h.baseUrl}/nothing-here`),
    };
    for (const [what, answer] of Object.entries(answers)) {
      expect(answer.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(answer.headers.get('content-security-policy'), what).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('referrer-policy'), what).toBe('same-origin');
      expect(answer.headers.get('cache-control'), what).toBe('no-store');
      expect(answer.headers.get('strict-transport-security'), what).toBeNull();
    }
  });

  it('over https: HSTS, and the session cookie is a Secure __Host- cookie', async () => {
    expect((await fetch(`${httpsApp}/healthz`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    const { link, browserCookie, signedIn } = await signInByEmail(h, 'lead', httpsApp);
    expect(link).toMatch(/^https:\/\/aims-flow\.example\//);
    expect(browserCookie).toMatch(/^__Host-aims_signin=/);
    const cookie = signedIn.headers.getSetCookie().find((each) => each.includes('aims_session='))!;
    expect(cookie).toMatch(/^__Host-aims_session=/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/i);
  });
});

describe('forms', () => {
  it('refuse a post from another site, including one whose Origin is null', async () => {
    expect((await signInForm(h.baseUrl, { origin: 'null' })).status).toBe(403);
    expect((await signInForm(h.baseUrl, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await signInForm(h.baseUrl, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await signInForm(h.baseUrl, { origin: h.baseUrl })).status).toBe(200);
    expect((await signInForm(h.baseUrl, { 'sec-fetch-site': 'same-origin', origin: 'null' })).status).toBe(200);
  });

  it('answer a form of too many fields with 413, not a server error', async () => {
    const fields = new URLSearchParams(Array.from({ length: 3000 }, (_, n): [string, string] => [`field${n}`, 'x']));
    const answer = await fetch(`${h.baseUrl}/signin`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields });
    expect(answer.status).toBe(413);
  });
});
