import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app';
import { clientNetwork } from '../api/rateLimits';
import { createWebSession } from '../db/sessions';
import { callApi, startHarness, type Harness } from './helpers/harness';
import { triageOnlyPolicy } from './helpers/policies';

let h: Harness;
const servers: http.Server[] = [];
beforeAll(async () => {
  h = await startHarness();
  h.usePolicy(triageOnlyPolicy);
});
afterAll(async () => {
  for (const server of servers) server.close();
  await h?.stop();
});

/** Two api instances over the one database, as a deployment runs them, with small limits. */
async function instances(limits: { perAddressPerMinute: number; perPrincipalPerMinute: number; incidentsPerReporterPerHour: number }) {
  const urls: string[] = [];
  for (let n = 0; n < 2; n++) {
    const server = http.createServer(createApp({ ...h.deps, rateLimits: limits }));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return urls;
}

describe('the address a limit counts', () => {
  it('is an IPv4 address as it is, an IPv4-mapped one as IPv4, and an IPv6 client by its /64', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
  });
});

describe('rate limits', () => {
  it('hold per principal across api instances, answering 429 with Retry-After, and per address on pages too', async () => {
    const [first, second] = await instances({ perAddressPerMinute: 1000, perPrincipalPerMinute: 6, incidentsPerReporterPerHour: 100 });
    const statuses = [];
    for (let n = 0; n < 4; n++) {
      statuses.push((await callApi(first, h.people, 'GET', '/api/v1/tasks', { as: 'auditor' })).status);
      statuses.push((await callApi(second, h.people, 'GET', '/api/v1/tasks', { as: 'auditor' })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    const limited = await callApi(first, h.people, 'GET', '/api/v1/tasks', { as: 'auditor' });
    expect(limited.body.error).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another principal is not held back by the first one's count.
    expect((await callApi(first, h.people, 'GET', '/api/v1/tasks', { as: 'approver' })).status).toBe(200);
    // A page request counts against its session's principal.
    const cookie = `aims_session=${await createWebSession(h.pool, 'auditor', 60_000)}`;
    expect((await fetch(`${second}/tasks`, { headers: { cookie } })).status).toBe(429);
  });

  it('limit the requests of whoever is not signed in by their address: sign-in pages and email action links', async () => {
    const [first] = await instances({ perAddressPerMinute: 3, perPrincipalPerMinute: 1000, incidentsPerReporterPerHour: 100 });
    const statuses = [];
    for (let n = 0; n < 3; n++) statuses.push((await fetch(`${first}/signin`)).status);
    statuses.push((await fetch(`${first}/actions/not-a-token`)).status);
    // The limit counted the requests of the instances built before this one too: same address, same store.
    expect(statuses.at(-1)).toBe(429);
    expect((await fetch(`${first}/healthz`)).status).toBe(200);
    // A signed-in principal is counted by who they are, not where they come from.
    expect((await callApi(first, h.people, 'GET', '/api/v1/tasks', { as: 'executive' })).status).toBe(200);
  });

  it('bound the incidents one reporter files per hour', async () => {
    const [first] = await instances({ perAddressPerMinute: 1_000_000, perPrincipalPerMinute: 1_000_000, incidentsPerReporterPerHour: 2 });
    const systemId = await h.fileAcceptedSystem('Reported too often');
    const report = (n: number) =>
      callApi(first, h.people, 'POST', `/api/v1/systems/${systemId}/incidents`, {
        as: 'executive',
        body: { severity: 'low', description: `report ${n}`, occurredAt: new Date().toISOString() },
      });
    expect([(await report(1)).status, (await report(2)).status]).toEqual([202, 202]);
    const third = await report(3);
    expect(third.status).toBe(429);
    expect(third.body.message).toContain('too many incident reports in the last hour');
  });
});
