import { randomBytes } from 'node:crypto';
import { sha256Hex } from './hashing';
import type { Principal, Role } from '../domain/principal';
import type { Queryable } from './pool';

/** 256 random bits; stored only as a SHA-256 hash, which is enough for a secret of this entropy. */
export const newApiKey = () => `afk_${randomBytes(32).toString('base64url')}`;

const columns = 'id, email, name, roles, manager_id';
const toPrincipal = (row: { id: string; email: string; name: string; roles: Role[]; manager_id: string | null }): Principal => ({
  id: row.id,
  email: row.email,
  name: row.name,
  roles: row.roles,
  managerId: row.manager_id,
});

export async function principalByApiKey(db: Queryable, apiKey: string): Promise<Principal | undefined> {
  const { rows } = await db.query(`SELECT ${columns} FROM principals WHERE api_key_hash = $1`, [sha256Hex(apiKey)]);
  return rows[0] && toPrincipal(rows[0]);
}

export async function principalsByIds(db: Queryable, ids: readonly string[]): Promise<Principal[]> {
  const { rows } = await db.query(`SELECT ${columns} FROM principals WHERE id = ANY($1) ORDER BY id`, [ids]);
  return rows.map(toPrincipal);
}

export async function principalsWithRole(db: Queryable, role: Role): Promise<Principal[]> {
  const { rows } = await db.query(`SELECT ${columns} FROM principals WHERE $1 = ANY(roles) ORDER BY id`, [role]);
  return rows.map(toPrincipal);
}

export interface PrincipalRecord extends Principal {
  apiKey?: string;
}

/** Creates or updates a principal; the API key is replaced only when one is given. */
export async function upsertPrincipal(db: Queryable, principal: PrincipalRecord): Promise<void> {
  await db.query(
    `INSERT INTO principals (id, email, name, roles, manager_id, api_key_hash)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET email = $2, name = $3, roles = $4, manager_id = $5,
       api_key_hash = COALESCE($6, principals.api_key_hash)`,
    [principal.id, principal.email, principal.name, principal.roles, principal.managerId, principal.apiKey ? sha256Hex(principal.apiKey) : null],
  );
}

/** The principal's out-of-office delegation in force now, if any. */
export async function currentDelegation(db: Queryable, principalId: string): Promise<{ to: string; until: string } | null> {
  const { rows } = await db.query('SELECT delegate_id, delegate_until FROM principals WHERE id = $1 AND delegate_until > now()', [principalId]);
  return rows[0] ? { to: rows[0].delegate_id, until: rows[0].delegate_until.toISOString() } : null;
}

export async function setDelegation(db: Queryable, principalId: string, delegation: { delegateId: string; until: string } | null) {
  await db.query('UPDATE principals SET delegate_id = $2, delegate_until = $3 WHERE id = $1', [
    principalId,
    delegation?.delegateId ?? null,
    delegation?.until ?? null,
  ]);
}
