import { triageOnlyPolicy } from './helpers/policies';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditEvent, chainedHash } from '../db/audit';
import { ed25519SignerFromPem } from '../api/commandSigner';
import { recordAuditCheckpoint } from '../db/auditCheckpoint';
import { verifyAuditChain } from '../db/auditVerify';
import { ensureServiceLogin } from '../db/migrate';
import { createPool, inTransaction } from '../db/pool';
import { checkpointSigningText } from '../domain/auditCheckpoint';
import type { AuditEventType } from '../domain/auditEvents';
import { annexAControls, controlEvidence } from '../domain/standards';
import { ensureAuditCheckpointSchedule } from '../worker/schedules';
import { dropRole } from './helpers/globalSetup';
import { eventually, sampleIntake, startHarness, type Harness } from './helpers/harness';
import { newEd25519Pem } from './helpers/keys';

let h: Harness;
/** An intake triaged by the lead, who handed the seat to Ada; Ada accepted on the lead's behalf. */
let reviewed: { systemId: string; taskId: string };

const scriptInPurpose = 'Reads invoices <script>alert("owned")</script> for accounts payable';

beforeAll(async () => {
  h = await startHarness();
  // The pack is checked after triage: the accepted system skips the impact assessment here. Approvers may stand in at triage.
  h.usePolicy({
    ...triageOnlyPolicy,
    tasks: { ...triageOnlyPolicy.tasks, intake_triage: { ...triageOnlyPolicy.tasks.intake_triage, delegateRoles: ['approver'] } },
  });
  const filed = await h.api('POST', '/api/v1/systems', { body: sampleIntake({ name: 'Invoice reader', purpose: scriptInPurpose }) });
  expect(filed.status).toBe(202);
  const systemId = filed.body.systemId as string;
  const task = await eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return body.openTasks?.find((open: { kind: string }) => open.kind === 'intake_triage');
  });
  const delegated = await h.api('POST', `/api/v1/tasks/${task.id}/delegate`, { as: 'lead', body: { to: 'approver', reason: 'away this week' } });
  expect(delegated.status).toBe(200);
  const decided = await h.decide(task.id, 'approver', 'accept', { comment: 'Fine <b>for</b> invoices' });
  expect(decided.status).toBe(200);
  await eventually(async () => {
    const { body } = await h.api('GET', `/api/v1/systems/${systemId}`, { as: 'lead' });
    return body.system?.state === 'active' ? true : undefined;
  });
  reviewed = { systemId, taskId: task.id };
});
afterAll(() => h?.stop());

const verify = (as: 'auditor' | 'lead' | 'owner' | 'approver' = 'auditor') => h.api('GET', '/api/v1/audit/verify', { as });
const evidence = (systemId: string, options: { as?: 'auditor' | 'lead' | 'owner' | 'approver' | 'ownerManager'; query?: string; accept?: string } = {}) =>
  h.api('GET', `/api/v1/systems/${systemId}/evidence${options.query ?? ''}`, {
    as: options.as ?? 'auditor',
    headers: options.accept ? { accept: options.accept } : {},
  });

async function chainHead() {
  const { rows } = await h.pool.query<{ seq: string; hash: string; n: number }>(
    'SELECT seq, hash, (SELECT count(*)::int FROM audit_events) AS n FROM audit_events ORDER BY seq DESC LIMIT 1',
  );
  return { seq: Number(rows[0].seq), hash: rows[0].hash, events: rows[0].n };
}

async function auditRow(seq: number) {
  const { rows } = await h.pool.query('SELECT * FROM audit_events WHERE seq = $1', [seq]);
  return rows[0];
}

async function decisionEvent() {
  const { rows } = await h.pool.query<{ seq: string; event_key: string }>(
    `SELECT seq, event_key FROM audit_events WHERE system_id = $1 AND type = 'task.decided'`,
    [reviewed.systemId],
  );
  expect(rows).toHaveLength(1);
  return { seq: Number(rows[0].seq), eventKey: rows[0].event_key };
}

/** What only the table's owner or a superuser can do: switch the append-only trigger off for one statement. */
async function pastTheTrigger(sql: string, params: unknown[]) {
  await inTransaction(h.pool, async (client) => {
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
    await client.query(sql, params);
    await client.query('ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only');
  });
}

describe('audit chain verification', () => {
  it('reports an intact chain, recomputed from genesis, after an intake was triaged and decided', async () => {
    const response = await verify();
    expect(response.status).toBe(200);
    const head = await chainHead();
    expect(response.body).toEqual({ ok: true, events: head.events, headHash: head.hash, headSeq: head.seq });
    expect(head.events).toBeGreaterThanOrEqual(7);
    // Page boundaries change nothing: the walk carries the link from one page into the next.
    expect(await verifyAuditChain(h.pool, { pageSize: 2 })).toEqual(response.body);
    expect((await verify('lead')).status).toBe(200);
  });

  it('lets only governance leads, admins and auditors verify', async () => {
    for (const as of ['owner', 'approver'] as const) {
      const response = await verify(as);
      expect(response.status).toBe(403);
      expect(response.body.error).toBe('forbidden');
    }
  });
});

describe('append-only audit events', () => {
  it('refuses an UPDATE, a DELETE and a TRUNCATE through the application pool, and changes nothing', async () => {
    const { seq } = await decisionEvent();
    const before = await auditRow(seq);
    await expect(h.pool.query(`UPDATE audit_events SET data = data || '{"choice":"reject"}' WHERE seq = $1`, [seq])).rejects.toThrow(
      'audit events are append-only',
    );
    await expect(h.pool.query('DELETE FROM audit_events WHERE seq = $1', [seq])).rejects.toThrow('audit events are append-only');
    await expect(h.pool.query('TRUNCATE audit_events')).rejects.toThrow('audit events are append-only');
    // session_replication_role = replica skips ordinary triggers, not this one.
    await expect(
      inTransaction(h.pool, async (client) => {
        await client.query('SET LOCAL session_replication_role = replica');
        await client.query('DELETE FROM audit_events WHERE seq = $1', [seq]);
      }),
    ).rejects.toThrow('audit events are append-only');
    expect(await auditRow(seq)).toEqual(before);
    expect((await verify()).body.ok).toBe(true);
  });

  it('takes an event only at the head of the chain and linked to it, so none can be slipped in where a walk on from a checkpoint would not look', async () => {
    const head = await chainHead();
    const {
      rows: [older],
    } = await h.pool.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq < $1 ORDER BY seq DESC LIMIT 1', [head.seq]);
    // The table's owner may name a seq; the application's role may not (migration 023).
    const insert = (seq: number | null, prevHash: string, role: 'owner' | 'aims_flow_app' = 'owner') =>
      inTransaction(h.pool, async (client) => {
        if (role === 'aims_flow_app') await client.query('SET LOCAL ROLE aims_flow_app');
        await client.query(
          `INSERT INTO audit_events (${seq === null ? '' : 'seq, '}event_key, type, data, occurred_at, prev_hash, hash)
           VALUES (${seq === null ? '' : '$7, '}$1, $2, $3, $4, $5, $6)`,
          [`slipped:${randomUUID()}`, 'task.decided', { choice: 'approve' }, new Date(), prevHash, 'a'.repeat(64), ...(seq === null ? [] : [seq])],
        );
      });
    await expect(insert(head.seq - 1, head.hash)).rejects.toThrow('audit events are appended at the head of the chain');
    await expect(insert(-5, head.hash)).rejects.toThrow('audit events are appended at the head of the chain');
    await expect(insert(null, 'b'.repeat(64))).rejects.toThrow('an audit event links to the head of the chain');
    await expect(insert(null, older.hash)).rejects.toThrow('an audit event links to the head of the chain');
    // A seq far above the head would stop every later append: only the sequence gives one.
    await expect(insert(9_000_000_000, head.hash, 'aims_flow_app')).rejects.toThrow('permission denied for table audit_events');
    expect(await chainHead()).toEqual(head);
  });

  it('gives the role production runs as, aims_flow_app, reading and appending of audit events only', async () => {
    const { rows } = await h.pool.query(
      `SELECT has_table_privilege('aims_flow_app', 'audit_events', 'SELECT') AS "select",
              has_column_privilege('aims_flow_app', 'audit_events', 'hash', 'INSERT') AS "insert",
              has_column_privilege('aims_flow_app', 'audit_events', 'seq', 'INSERT') AS "insertSeq",
              has_table_privilege('aims_flow_app', 'audit_events', 'UPDATE') AS "update",
              has_table_privilege('aims_flow_app', 'audit_events', 'DELETE') AS "delete",
              has_table_privilege('aims_flow_app', 'audit_events', 'TRUNCATE') AS "truncate",
              has_table_privilege('aims_flow_app', 'tasks', 'UPDATE') AS "updateTasks",
              has_table_privilege('aims_flow_app', 'audit_checkpoints', 'SELECT') AS "readCheckpoints",
              has_table_privilege('aims_flow_app', 'audit_checkpoints', 'INSERT') AS "writeCheckpoints"`,
    );
    expect(rows[0]).toEqual({
      select: true,
      insert: true,
      insertSeq: false,
      update: false,
      delete: false,
      truncate: false,
      updateTasks: true,
      readCheckpoints: true,
      writeCheckpoints: false,
    });

    const client = await h.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE aims_flow_app');
      await appendAuditEvent(client, { key: `role-check:${randomUUID()}`, type: 'test.role_check' as AuditEventType });
      await client.query('SAVEPOINT refused');
      await expect(client.query('UPDATE audit_events SET data = $1', [{}])).rejects.toThrow('permission denied for table audit_events');
      await client.query('ROLLBACK TO SAVEPOINT refused');
      await expect(client.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only')).rejects.toThrow('must be owner of table audit_events');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('the login the services connect as', () => {
  it('is made a member of aims_flow_app by the migration command: it works on the records but owns nothing', async () => {
    const url = new URL(h.databaseUrl);
    url.username = `aims_flow_svc_${randomUUID().slice(0, 8)}`;
    url.password = 'not-used-under-trust-auth';
    const login = await ensureServiceLogin(h.pool, url.toString());
    expect(await ensureServiceLogin(h.pool, url.toString())).toBe(login);
    const service = createPool(url.toString());
    try {
      expect((await service.query('SELECT current_user AS who')).rows[0].who).toBe(login);
      await service.query('SELECT count(*) FROM tasks');
      await inTransaction(service, (client) =>
        appendAuditEvent(client, { key: `service-login:${randomUUID()}`, type: 'test.service_login' as AuditEventType }),
      );
      await expect(service.query('UPDATE audit_events SET data = $1', [{}])).rejects.toThrow('permission denied for table audit_events');
      await expect(service.query('CREATE TABLE squatter (id int)')).rejects.toThrow('permission denied for schema public');
      await expect(service.query('DROP TABLE tasks')).rejects.toThrow('must be owner of table tasks');
    } finally {
      await service.end();
      await dropRole(login);
    }
  });
});

describe("the background verifier's login", () => {
  it('is made a member of aims_flow_verifier by the migration command: it reads the trail and writes checkpoints, nothing else', async () => {
    const url = new URL(h.databaseUrl);
    url.username = `aims_flow_verifier_${randomUUID().slice(0, 8)}`;
    url.password = 'not-used-under-trust-auth';
    const login = await ensureServiceLogin(h.pool, url.toString(), 'aims_flow_verifier');
    const verifierPool = createPool(url.toString());
    try {
      const checkpoint = await recordAuditCheckpoint(verifierPool, h.auditSigner, { walkFromGenesisEveryMs: 0 });
      expect(checkpoint).toMatchObject({ publicKey: h.auditSigner.publicKey, previousSeq: null });
      await expect(verifierPool.query('SELECT count(*) FROM tasks')).rejects.toThrow('permission denied for table tasks');
      await expect(
        inTransaction(verifierPool, (client) => appendAuditEvent(client, { key: `verifier:${randomUUID()}`, type: 'test.verifier' as AuditEventType })),
      ).rejects.toThrow('permission denied for table audit_events');
    } finally {
      await verifierPool.end();
      await dropRole(login);
    }
  });
});

describe('evidence pack', () => {
  it('holds the system, its intake and triage, every decision with who, on whose behalf and on which snapshot, and the trail with its links', async () => {
    const response = await evidence(reviewed.systemId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const pack = response.body;

    expect(pack.system).toMatchObject({ id: reviewed.systemId, name: 'Invoice reader', ownerId: 'owner', state: 'active', riskTier: 'low' });
    expect(pack.intake).toMatchObject({ name: 'Invoice reader', purpose: scriptInPurpose, provenance: 'vendor' });
    expect(pack.triage).toEqual({ tier: 'low', rule: pack.system.triageRule, reason: pack.system.triageReason, policyVersion: pack.system.policyVersion });
    expect(pack.triage.rule).toEqual(expect.any(String));

    const registered = pack.auditTrail.find((event: { type: string }) => event.type === 'system.registered');
    expect(pack.tasks).toHaveLength(1);
    const [task] = pack.tasks;
    expect(task).toMatchObject({ id: reviewed.taskId, kind: 'intake_triage', status: 'decided', subjectHash: registered.data.intakeHash });
    expect(task.decisions).toEqual([
      expect.objectContaining({
        actorId: 'approver',
        onBehalfOf: 'lead',
        choice: 'accept',
        comment: 'Fine <b>for</b> invoices',
        snapshotHash: task.subjectHash,
      }),
    ]);
    expect(task.decisions[0].decidedAt).toEqual(expect.any(String));
    expect(pack.people).toMatchObject({ owner: { name: 'Olivia Owner' }, approver: { name: 'Ada Approver' }, lead: { name: 'Grace Lead' } });

    expect(pack).toMatchObject({ assessments: [], riskRegister: [], incidents: [], reviews: [] });
    const trailFromApi = (await h.api('GET', `/api/v1/systems/${reviewed.systemId}`, { as: 'auditor' })).body.history;
    expect(pack.auditTrail.map((event: { seq: number }) => event.seq)).toEqual(trailFromApi.map((event: { seq: number }) => event.seq));
    for (const event of pack.auditTrail)
      expect(event).toMatchObject({
        eventKey: expect.any(String),
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
  });

  it("vouches for the chain with the background verifier's signed checkpoint, without walking it", async () => {
    const checkpoint = await h.checkpointAuditChain();
    const head = await chainHead();
    const { chain, auditTrail } = (await evidence(reviewed.systemId, { as: 'owner' })).body;
    expect(chain).toEqual({
      status: 'intact',
      checkpoint: expect.objectContaining({ seq: head.seq, headHash: head.hash, events: head.events, brokenLink: null, publicKey: h.auditSigner.publicKey }),
      systemBrokenLink: null,
      coveredEvents: auditTrail.length,
      pendingEvents: 0,
    });
    expect(chain.checkpoint).toEqual(checkpoint);
    expect(chain.checkpoint.events).toBe((await verify()).body.events);
  });

  it('lists every Annex A control, with evidence only where aims-flow holds records for it', async () => {
    const { controls, clauses, auditTrail } = (await evidence(reviewed.systemId)).body;
    expect(controls.map((control: { id: string }) => control.id)).toEqual(annexAControls.map((control) => control.id));
    expect(controls).toHaveLength(38);
    const evidenced = controls.filter((control: { evidence: unknown[] }) => control.evidence.length > 0);
    expect(evidenced.map((control: { id: string }) => control.id)).toEqual(['A.3.2', 'A.4.3', 'A.5.2', 'A.6.2.5', 'A.9.2', 'A.9.4', 'A.10.2', 'A.10.3']);

    const seqsOf = (type: string) => auditTrail.filter((event: { type: string }) => event.type === type).map((event: { seq: number }) => event.seq);
    const byId = (id: string) => controls.find((control: { id: string }) => control.id === id);
    // The governance record is documented information (clause 7.5), not the AI system's own event logs (A.6.2.8).
    expect(byId('A.6.2.8').evidence).toEqual([]);
    expect(clauses.find((clause: { id: string }) => clause.id === '7.5').evidence).toEqual([
      expect.objectContaining({ record: 'audit_trail', auditEventSeqs: auditTrail.map((event: { seq: number }) => event.seq) }),
    ]);
    expect(byId('A.6.2.5').evidence).toEqual([
      expect.objectContaining({
        record: 'lifecycle_gate',
        auditEventSeqs: [auditTrail.find((event: { data: { to?: string } }) => event.data.to === 'active').seq],
      }),
    ]);
    expect(byId('A.9.4').evidence).toEqual([expect.objectContaining({ record: 'intake', auditEventSeqs: seqsOf('system.registered') })]);
    expect(byId('A.5.2').evidence).toEqual([expect.objectContaining({ record: 'triage', auditEventSeqs: seqsOf('system.triaged') })]);
    expect(byId('A.3.2').evidence.map((item: { record: string }) => item.record)).toEqual(['intake', 'task_assignment', 'decisions']);
    expect(byId('A.3.2').evidence[1].auditEventSeqs).toEqual(expect.arrayContaining(seqsOf('task.delegated')));
    expect(byId('A.3.2').evidence[2].auditEventSeqs).toEqual(seqsOf('task.decided'));
    for (const id of ['A.2.2', 'A.5.3', 'A.5.4', 'A.6.2.6', 'A.8.4', 'A.10.4']) expect(byId(id).evidence).toEqual([]);
  });

  it('names a supplier as evidence only for a bought or embedded system', () => {
    const registered = [{ seq: 1, type: 'system.registered' }];
    const suppliers = (provenance: 'in_house' | 'vendor' | 'embedded_third_party') =>
      controlEvidence({ provenance, events: registered }).find((control) => control.id === 'A.10.3')!.evidence;
    expect(suppliers('in_house')).toEqual([]);
    expect(suppliers('vendor')).toHaveLength(1);
    expect(suppliers('embedded_third_party')).toHaveLength(1);
  });

  it('prints as an HTML page when the client asks for text/html, with every value escaped', async () => {
    await h.checkpointAuditChain();
    const response = await evidence(reviewed.systemId, { accept: 'text/html' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('vary')).toMatch(/Accept/i);
    const page = response.body as string;
    expect(page).toContain('<title>Evidence pack: Invoice reader · aims-flow</title>');
    expect(page).toContain('Ada Approver (approver)');
    expect(page).toContain('Grace Lead (lead)');
    expect(page).toMatch(/<td>accept<\/td>/);
    expect(page).toContain('Fine &lt;b&gt;for&lt;/b&gt; invoices');
    expect(page).not.toContain('<script>');
    expect(page).toContain('Reads invoices &lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; for accounts payable');
    expect(page).toContain('Audit chain intact');
    expect(page).toContain('<caption>Annex A controls and the records of this system that evidence them, with the findings against them</caption>');
    expect(page).toContain('<caption>Clauses and the records of this system that evidence them, with the findings against them</caption>');
    expect(page).toContain('@media print');
    expect(page.match(/<tr><td>A\.\d+(\.\d+)*<\/td>/g)).toHaveLength(38);

    const asked = await evidence(reviewed.systemId, { query: '?format=html' });
    expect(asked.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await evidence(reviewed.systemId, { query: '?format=pdf' })).status).toBe(400);
  });

  it('shows the pack to whoever may see the system, 403 to others and 404 for an unknown system', async () => {
    for (const as of ['owner', 'approver', 'lead', 'auditor'] as const) expect((await evidence(reviewed.systemId, { as })).status).toBe(200);
    const stranger = await evidence(reviewed.systemId, { as: 'ownerManager' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error).toBe('forbidden');
    const strangerPage = await evidence(reviewed.systemId, { as: 'ownerManager', accept: 'text/html' });
    expect(strangerPage.status).toBe(403);
    expect(strangerPage.body).not.toHaveProperty('system');
    expect((await evidence(randomUUID())).status).toBe(404);
    expect((await evidence('not-a-system')).status).toBe(404);
    expect((await h.api('GET', `/api/v1/systems/${reviewed.systemId}/evidence`, { as: null })).status).toBe(401);
  });
});

describe("the background verifier's checkpoints", () => {
  const checkpointRows = async () => Number((await h.pool.query('SELECT count(*) FROM audit_checkpoints')).rows[0].count);
  const note = () => appendAuditEvent(h.pool, { key: `note:${randomUUID()}`, type: 'test.note' as AuditEventType, systemId: reviewed.systemId });

  it('extend the last one with what was appended since, and the pack counts what waits for the next', async () => {
    const before = (await h.checkpointAuditChain())!;
    await note();
    const waiting = (await evidence(reviewed.systemId, { as: 'owner' })).body;
    expect(waiting.chain).toMatchObject({ status: 'intact', checkpoint: { seq: before.seq }, pendingEvents: 1 });
    expect((await evidence(reviewed.systemId, { accept: 'text/html' })).body).toContain(
      "1 of this system's events came after it and wait for the next checkpoint",
    );

    const after = (await h.checkpointAuditChain())!;
    expect(after).toMatchObject({ previousSeq: before.seq, walkedFromGenesisAt: before.walkedFromGenesisAt, events: before.events + 1, brokenLink: null });
    expect((await evidence(reviewed.systemId, { as: 'owner' })).body.chain).toMatchObject({ checkpoint: { seq: after.seq }, pendingEvents: 0 });
    const rows = await checkpointRows();
    expect(await h.checkpointAuditChain()).toEqual(after);
    expect(await checkpointRows()).toBe(rows);

    // While a run holds the verifier's lock, another leaves the work to it.
    await note();
    const running = await h.pool.connect();
    try {
      await running.query('SELECT pg_advisory_lock(42042003)');
      expect(await h.checkpointAuditChain()).toBeNull();
      expect(await checkpointRows()).toBe(rows);
    } finally {
      await running.query('SELECT pg_advisory_unlock(42042003)');
      running.release();
    }
    expect(await h.checkpointAuditChain()).toMatchObject({ previousSeq: after.seq, events: after.events + 1 });
  });

  it('are append-only; one written past the verifier is shown as not trusted and changes nothing the verifier does, nor does an old one written again', async () => {
    await expect(h.pool.query('UPDATE audit_checkpoints SET broken_link = NULL')).rejects.toThrow('append-only');
    const real = (await h.checkpointAuditChain())!;
    await note();
    // A forger with the database but not the key: a checkpoint vouching for the new event, signed by a key of their own.
    const forger = ed25519SignerFromPem(newEd25519Pem(), 'forger');
    const head = await chainHead();
    const claim = { ...real, seq: head.seq, headHash: head.hash, events: head.events, previousSeq: real.seq, checkedAt: new Date().toISOString() };
    for (const [publicKey, signature] of [
      [forger.publicKey, forger.sign(checkpointSigningText(claim))],
      [h.auditSigner.publicKey, forger.sign(checkpointSigningText(claim))],
    ]) {
      await h.pool.query(
        `INSERT INTO audit_checkpoints (seq, head_hash, events, previous_seq, walked_from_genesis_at, broken_link, checked_at, public_key, signature)
         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8)`,
        [claim.seq, claim.headHash, claim.events, claim.previousSeq, claim.walkedFromGenesisAt, claim.checkedAt, publicKey, signature],
      );
      expect((await evidence(reviewed.systemId, { as: 'owner' })).body.chain.status).toBe('untrusted checkpoint');
      expect((await evidence(reviewed.systemId, { accept: 'text/html' })).body).toContain('Audit chain checkpoint not trusted');
    }
    // The verifier goes on from its own last checkpoint, past the forged ones.
    const next = (await h.checkpointAuditChain())!;
    expect(next).toMatchObject({ seq: head.seq, previousSeq: real.seq, brokenLink: null, publicKey: h.auditSigner.publicKey });
    expect((await evidence(reviewed.systemId, { as: 'owner' })).body.chain).toMatchObject({ status: 'intact', checkpoint: next });

    // A genuine but older checkpoint written again is not the one in force: the signed time says so.
    await h.pool.query(
      `INSERT INTO audit_checkpoints (seq, head_hash, events, previous_seq, walked_from_genesis_at, broken_link, checked_at, public_key, signature)
       VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, $8)`,
      [real.seq, real.headHash, real.events, real.previousSeq, real.walkedFromGenesisAt, real.checkedAt, real.publicKey, real.signature],
    );
    expect((await evidence(reviewed.systemId, { as: 'owner' })).body.chain).toMatchObject({ status: 'intact', checkpoint: next });
  });

  it("are kept up to date by the worker's schedule", async () => {
    // Hourly, and run once now: the one run this test makes is the one it waits for.
    const schedule = await ensureAuditCheckpointSchedule(h.temporal, h.taskQueue, 3_600_000, `audit-checkpoint-${h.taskQueue}`);
    try {
      await note();
      const head = await chainHead();
      await schedule.trigger();
      await eventually(async () => {
        const { chain } = (await evidence(reviewed.systemId, { as: 'owner' })).body;
        return chain.checkpoint?.seq >= head.seq && chain.pendingEvents === 0 ? chain : undefined;
      });
    } finally {
      await schedule.pause();
      const { recentActions, runningActions } = (await schedule.describe()).info;
      await schedule.delete();
      // A run still in flight would hold the verifier's lock in the tests that follow.
      const runs = [...recentActions.map((action) => action.action.workflow), ...runningActions.map((action) => action.workflow)];
      await Promise.all(runs.map((run) => h.temporal.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result()));
    }
  });
});

describe('a tampered audit row', () => {
  it('is found at that row when a superuser edits it past the trigger, and at the next row when the hash is recomputed too', async () => {
    const { seq, eventKey } = await decisionEvent();
    const original = await auditRow(seq);
    const forged = { ...original.data, choice: 'reject' };

    await pastTheTrigger('UPDATE audit_events SET data = $2 WHERE seq = $1', [seq, forged]);
    const edited = await verify();
    expect(edited.body).toMatchObject({ ok: false, firstBrokenLink: { seq, eventKey, reason: 'hash mismatch' } });
    // The pack checks each of its own events where it sits: the edit shows at once, before any walk.
    const pack = (await evidence(reviewed.systemId, { as: 'owner' })).body;
    expect(pack.chain).toMatchObject({ status: 'broken', systemBrokenLink: { seq, eventKey, reason: 'hash mismatch' } });
    const page = (await evidence(reviewed.systemId, { accept: 'text/html' })).body as string;
    expect(page).toContain(`Audit chain broken</strong> at event #${seq} (${eventKey}) of this system: hash mismatch`);
    // The edit sits inside what a checkpoint already vouched for: the verifier's next walk from genesis finds it.
    expect(await h.checkpointAuditChain({ fromGenesis: true })).toMatchObject({ previousSeq: null, brokenLink: { seq, eventKey, reason: 'hash mismatch' } });
    // Once broken, the checkpoints that extend it stay broken.
    await appendAuditEvent(h.pool, { key: `after-the-break:${randomUUID()}`, type: 'test.note' as AuditEventType, systemId: reviewed.systemId });
    expect(await h.checkpointAuditChain()).toMatchObject({ previousSeq: expect.any(Number), brokenLink: { seq } });

    // A careful attacker recomputes the edited row's hash; the next event still links to the old one.
    const rehashed = chainedHash(original.prev_hash, {
      key: original.event_key,
      type: original.type,
      systemId: original.system_id,
      taskId: original.task_id,
      actorId: original.actor_id,
      data: forged,
      occurredAt: original.occurred_at.toISOString(),
    });
    await pastTheTrigger('UPDATE audit_events SET hash = $2 WHERE seq = $1', [seq, rehashed]);
    const { rows: next } = await h.pool.query('SELECT seq, event_key FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 1', [seq]);
    expect((await verify()).body).toMatchObject({
      ok: false,
      firstBrokenLink: { seq: Number(next[0].seq), eventKey: next[0].event_key, reason: 'prev_hash mismatch' },
    });

    expect((await evidence(reviewed.systemId)).body.chain.systemBrokenLink).toMatchObject({ seq, reason: 'next event does not link' });

    // Put back, the table verifies again; the record that it was broken stays in the checkpoints.
    await pastTheTrigger('UPDATE audit_events SET data = $2, hash = $3 WHERE seq = $1', [seq, original.data, original.hash]);
    expect((await verify()).body).toMatchObject({ ok: true });
    expect(await h.checkpointAuditChain({ fromGenesis: true })).toMatchObject({ brokenLink: { seq, reason: 'hash mismatch' } });
    expect((await evidence(reviewed.systemId)).body.chain).toMatchObject({ status: 'broken', systemBrokenLink: null });
  });

  it('is a lasting break when the event a checkpoint ended on no longer carries the hash it vouched for, even if the chain was rehashed to match', async () => {
    // A verifier of its own, so the break recorded above does not stand in for this one.
    const verifier = ed25519SignerFromPem(newEd25519Pem(), 'second verifier');
    const checkpointNow = () => recordAuditCheckpoint(h.pool, verifier, { walkFromGenesisEveryMs: 24 * 3_600_000 });
    const checkpoint = (await checkpointNow())!;
    expect(checkpoint.brokenLink).toBeNull();
    const last = await auditRow(checkpoint.seq);
    // The rewrite a careful attacker makes: the last vouched-for event is edited and rehashed, and what
    // follows links to it, so the chain verifies from genesis as it stands.
    const forged = { ...last.data, forged: true };
    const rehashed = chainedHash(last.prev_hash, {
      key: last.event_key,
      type: last.type,
      systemId: last.system_id,
      taskId: last.task_id,
      actorId: last.actor_id,
      data: forged,
      occurredAt: last.occurred_at.toISOString(),
    });
    await pastTheTrigger('UPDATE audit_events SET data = $2, hash = $3 WHERE seq = $1', [checkpoint.seq, forged, rehashed]);
    const appended = `after-the-rewrite:${randomUUID()}`;
    try {
      await appendAuditEvent(h.pool, { key: appended, type: 'test.note' as AuditEventType, systemId: reviewed.systemId });
      expect((await verify()).body).toMatchObject({ ok: true });
      expect(await checkpointNow()).toMatchObject({
        previousSeq: null,
        brokenLink: { seq: checkpoint.seq, eventKey: last.event_key, reason: 'changed after a checkpoint' },
      });
    } finally {
      await pastTheTrigger('UPDATE audit_events SET data = $2, hash = $3 WHERE seq = $1', [checkpoint.seq, last.data, last.hash]);
    }
    // The event appended meanwhile linked to the rewritten hash: it is where the restored chain breaks now.
    expect((await verify()).body).toMatchObject({ ok: false, firstBrokenLink: { eventKey: appended, reason: 'prev_hash mismatch' } });
  });
});
