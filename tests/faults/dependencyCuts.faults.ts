import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sampleIntake, type CastMember } from '../helpers/harness';
import { triageOnlyPolicy } from '../helpers/policies';
import { acceptIntoService, expectNothingLost, fileIntake, openTriage, startFaultPlatform, type FaultPlatform } from './platform';

const postgresCutSeconds = Number(process.env.FAULTS_POSTGRES_CUT_SECONDS ?? 60);
const temporalDeadlineMs = 2_000;

let p: FaultPlatform;
const accepted: string[] = [];
const file = async (name: string) => {
  const systemId = await fileIntake(p, name);
  accepted.push(systemId);
  return systemId;
};
const accept = (systemId: string) => acceptIntoService(p, systemId);
beforeAll(async () => {
  p = await startFaultPlatform({ policy: triageOnlyPolicy, temporalDeadlineMs });
  p.startWorker();
});
afterAll(() => p?.stop());

describe('R3: PostgreSQL cut mid-flight', () => {
  it(`answers 503 and never 500 for ${postgresCutSeconds} s, writes nothing half, and the workflows resume by themselves`, async () => {
    const before = await Promise.all(Array.from({ length: 6 }, (_, index) => file(`Fault R3 before ${index}`)));
    await Promise.all(before.slice(0, 3).map((systemId) => openTriage(p, systemId)));

    await p.cut(p.proxies.postgres);
    const cutUntil = Date.now() + postgresCutSeconds * 1000;
    // Started while the database is away: Temporal takes the start, the workflow waits for its first write.
    const duringCut: string[] = [];
    const statuses = new Map<number, number>();
    // Bounded in time and count: a round of requests every quarter second for the length of the cut.
    for (let round = 0; Date.now() < cutUntil && round < 4 * postgresCutSeconds; round++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      for (const [method, route, body] of [
        ['POST', '/api/v1/systems', sampleIntake({ name: 'Fault R3 during the cut' })],
        ['GET', `/api/v1/systems/${before[0]}`, undefined],
        ['GET', '/api/v1/tasks', undefined],
      ] as const) {
        const response = await p.api(method, route, { as: 'owner', body });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 202) duringCut.push(response.body.systemId);
      }
      const page = await fetch(`${p.baseUrl}/actions/${'x'.repeat(43)}`, { headers: { accept: 'text/html' } });
      statuses.set(page.status, (statuses.get(page.status) ?? 0) + 1);
    }
    await p.restore(p.proxies.postgres);
    console.info(`R3: answers during the ${postgresCutSeconds} s cut: ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect([...statuses.keys()]).toEqual([503]);
    expect(duringCut).toEqual([]);

    const started = Date.now();
    await Promise.all(before.map(accept));
    console.info(`R3: the intakes in flight resumed and ended ${Math.round((Date.now() - started) / 1000)} s after the database came back`);
    await expectNothingLost(p, { systemIds: accepted });
  });
});

describe('R4: SMTP cut, then back', () => {
  it('delivers each message exactly once per key after the mail server returns', async () => {
    await p.cut(p.proxies.smtp);
    const systems = await Promise.all(Array.from({ length: 4 }, (_, index) => file(`Fault R4 ${index}`)));
    await Promise.all(systems.map((systemId) => openTriage(p, systemId)));
    const { rows: waiting } = await p.h.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM outbox o JOIN tasks t ON t.id = o.task_id WHERE t.system_id = ANY($1) AND o.sent_at IS NULL',
      [systems],
    );
    expect(waiting[0].n).toBe(systems.length * 2);
    await p.restore(p.proxies.smtp);

    const { rows: keys } = await p.h.pool.query<{ message_id: string }>(
      'SELECT o.message_id FROM outbox o JOIN tasks t ON t.id = o.task_id WHERE t.system_id = ANY($1)',
      [systems],
    );
    await eventually(async () => (keys.every(({ message_id }) => p.h.mail.messages.some((mail) => mail.messageId === message_id)) ? true : undefined), 120_000);
    for (const { message_id } of keys) expect(p.h.mail.messages.filter((mail) => mail.messageId === message_id)).toHaveLength(1);
    await Promise.all(systems.map(accept));
    await expectNothingLost(p, { systemIds: accepted });
  });
});

describe('R6: Temporal unreachable', () => {
  it(`answers 503 on every Temporal-backed route within its ${temporalDeadlineMs} ms deadline`, async () => {
    const systemId = await file('Fault R6 active');
    await accept(systemId);
    const inTriage = await file('Fault R6 in triage');
    const task = await openTriage(p, inTriage);

    await p.cut(p.proxies.temporal);
    const today = new Date().toISOString().slice(0, 10);
    const routes: [string, string, CastMember, unknown][] = [
      ['POST', '/api/v1/systems', 'owner', sampleIntake({ name: 'Fault R6 never started' })],
      ['POST', `/api/v1/tasks/${task.id}/decision`, 'lead', { decision: 'accept', snapshotHash: task.subjectHash }],
      ['POST', `/api/v1/tasks/${task.id}/delegate`, 'lead', { to: 'approver' }],
      ['POST', `/api/v1/tasks/${task.id}/reassign`, 'lead2', { from: 'lead', to: 'approver', reason: 'away' }],
      ['POST', `/api/v1/tasks/${task.id}/withdraw`, 'owner', {}],
      ['POST', `/api/v1/systems/${inTriage}/withdraw`, 'owner', {}],
      ['PUT', `/api/v1/systems/${inTriage}/intake`, 'owner', sampleIntake({ name: 'Fault R6 amended' })],
      ['POST', `/api/v1/systems/${systemId}/reviews`, 'lead', {}],
      ['GET', `/api/v1/systems/${systemId}/reviews`, 'lead', undefined],
      ['PUT', `/api/v1/systems/${systemId}/tier`, 'lead', { tier: 'medium', reason: 'wider use' }],
      ['POST', `/api/v1/systems/${systemId}/incidents`, 'owner', { severity: 'low', description: 'wrong answer', occurredAt: new Date().toISOString() }],
      ['POST', `/api/v1/systems/${systemId}/retirement`, 'owner', { reason: 'replaced', retireOn: today }],
    ];
    const answers: string[] = [];
    try {
      for (const [method, route, as, body] of routes) {
        const started = Date.now();
        const response = await p.api(method, route, { as, body });
        const tookMs = Date.now() - started;
        answers.push(`${method} ${route.replace(/[0-9a-f-]{36}/g, ':id')} ${response.status} in ${tookMs} ms`);
        expect(response.status, `${method} ${route}`).toBe(503);
        expect(tookMs, `${method} ${route}`).toBeLessThan(temporalDeadlineMs + 1_000);
      }
    } finally {
      await p.restore(p.proxies.temporal);
      console.info(`R6:\n  ${answers.join('\n  ')}`);
    }
    const ready = await eventually(async () => ((await fetch(`${p.baseUrl}/readyz`)).status === 200 ? true : undefined), 30_000);
    expect(ready).toBe(true);
    await accept(inTriage);
    const { rows } = await p.h.pool.query("SELECT count(*)::int AS n FROM ai_systems WHERE name LIKE 'Fault R6 never%'");
    expect(rows[0].n).toBe(0);
  });
});
