import type { AuditEventType } from '../domain/auditEvents';
import { canonicalJson } from '../domain/policy';
import { sha256Hex } from './hashing';
import type { Queryable } from './pool';

export interface AuditEventInput {
  /** Business key: the same effect retried carries the same key and is appended once. */
  key: string;
  type: AuditEventType;
  systemId?: string | null;
  taskId?: string | null;
  actorId?: string | null;
  data?: Record<string, unknown>;
  occurredAt?: Date;
}

export interface AuditEvent {
  seq: number;
  type: string;
  systemId: string | null;
  taskId: string | null;
  actorId: string | null;
  data: Record<string, unknown>;
  occurredAt: string;
}

const chainLock = 42_042_002;
export const genesisHash = '0'.repeat(64);

export function chainedHash(prevHash: string, event: Omit<AuditEvent, 'seq'> & { key: string }): string {
  return sha256Hex(prevHash + canonicalJson(event));
}

/**
 * Appends one event to the hash chain inside the caller's transaction. The advisory lock serialises
 * appends so each event links to the one before it.
 */
/** Whether the event with this business key was appended: how a retried effect finds its first attempt. */
export async function auditEventRecorded(client: Queryable, key: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM audit_events WHERE event_key = $1', [key]);
  return rowCount === 1;
}

/** The data an audit event recorded, for an effect run again after it committed to answer as it did the first time. */
export async function auditEventData(client: Queryable, key: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await client.query<{ data: Record<string, unknown> }>('SELECT data FROM audit_events WHERE event_key = $1', [key]);
  return rows[0]?.data;
}

/** The data of the system's latest audit event of `type`. */
export async function latestAuditEventData(client: Queryable, systemId: string, type: AuditEventType): Promise<Record<string, unknown> | undefined> {
  const { rows } = await client.query<{ data: Record<string, unknown> }>(
    'SELECT data FROM audit_events WHERE system_id = $1 AND type = $2 ORDER BY seq DESC LIMIT 1',
    [systemId, type],
  );
  return rows[0]?.data;
}

/** The system's latest intake version: 1 as registered, one more for each revision or amendment. */
export async function latestIntakeVersion(client: Queryable, systemId: string): Promise<number> {
  const { rows } = await client.query<{ version: number | null }>(
    `SELECT max((data->>'version')::int) AS version FROM audit_events WHERE system_id = $1 AND type = 'system.intake_revised'`,
    [systemId],
  );
  return rows[0].version ?? 1;
}

export async function appendAuditEvent(client: Queryable, input: AuditEventInput): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [chainLock]);
  if (await auditEventRecorded(client, input.key)) return;
  const last = await client.query<{ hash: string }>('SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const prevHash = last.rows[0]?.hash ?? genesisHash;
  const event = {
    key: input.key,
    type: input.type,
    systemId: input.systemId ?? null,
    taskId: input.taskId ?? null,
    actorId: input.actorId ?? null,
    data: input.data ?? {},
    occurredAt: (input.occurredAt ?? new Date()).toISOString(),
  };
  await client.query(
    `INSERT INTO audit_events (event_key, system_id, task_id, actor_id, type, data, occurred_at, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [event.key, event.systemId, event.taskId, event.actorId, event.type, event.data, event.occurredAt, prevHash, chainedHash(prevHash, event)],
  );
}

export async function auditTrail(client: Queryable, filter: { systemId?: string; taskId?: string }): Promise<AuditEvent[]> {
  const column = filter.taskId ? 'task_id' : 'system_id';
  const { rows } = await client.query(`SELECT seq, type, system_id, task_id, actor_id, data, occurred_at FROM audit_events WHERE ${column} = $1 ORDER BY seq`, [
    filter.taskId ?? filter.systemId,
  ]);
  return rows.map(toAuditEvent);
}

/** An audit_events row as the event the api and the evidence pack show. */
export const toAuditEvent = (row: Record<string, any>): AuditEvent => ({
  seq: Number(row.seq),
  type: row.type,
  systemId: row.system_id,
  taskId: row.task_id,
  actorId: row.actor_id,
  data: row.data,
  occurredAt: row.occurred_at.toISOString(),
});
