import { randomBytes } from 'node:crypto';
import type { Principal, Role } from '../domain/principal';
import { sha256Hex } from './hashing';
import { inTransaction, type Pool, type Queryable } from './pool';

const secret = () => randomBytes(32).toString('base64url');

export async function principalByEmail(db: Queryable, email: string): Promise<Principal | undefined> {
  const { rows } = await db.query<{ id: string; email: string; name: string; roles: Role[]; manager_id: string | null }>(
    'SELECT id, email, name, roles, manager_id FROM principals WHERE lower(email) = lower($1)',
    [email],
  );
  return rows[0] && { id: rows[0].id, email: rows[0].email, name: rows[0].name, roles: rows[0].roles, managerId: rows[0].manager_id };
}

/**
 * Counts a request for a sign-in link to the address, known or not, and answers whether it is within
 * `max` requests in the window. Requests over the limit are not counted, so the window ends on time.
 */
export async function signInRequestAllowed(pool: Pool, email: string, windowMs: number, max: number): Promise<boolean> {
  const emailHash = sha256Hex(email.trim().toLowerCase());
  return inTransaction(pool, async (tx) => {
    // One address at a time, so parallel requests cannot all pass the count.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [emailHash]);
    await tx.query(`DELETE FROM sign_in_requests WHERE requested_at < now() - interval '1 day'`);
    const { rows } = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM sign_in_requests WHERE email_hash = $1 AND requested_at > now() - $2 * interval '1 millisecond'`,
      [emailHash, windowMs],
    );
    if (rows[0].n >= max) return false;
    await tx.query('INSERT INTO sign_in_requests (email_hash) VALUES ($1)', [emailHash]);
    return true;
  });
}

/** A one-time sign-in link token: 256 random bits, only its hash stored. Links dead for a day are swept. */
export async function createSignInLink(db: Queryable, principalId: string, validForMs: number): Promise<string> {
  await db.query("DELETE FROM sign_in_links WHERE expires_at < now() - interval '1 day'");
  const token = secret();
  await db.query(`INSERT INTO sign_in_links (token_hash, principal_id, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')`, [
    sha256Hex(token),
    principalId,
    validForMs,
  ]);
  return token;
}

/** Whether the link is still good, without using it: GET shows a button, only a POST signs in. */
export async function signInLinkIsUsable(db: Queryable, token: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM sign_in_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()', [sha256Hex(token)]);
  return rowCount === 1;
}

/** Uses the link once; returns whose it was, or undefined when it was unknown, used or expired. */
export async function consumeSignInLink(db: Queryable, token: string): Promise<string | undefined> {
  const { rows } = await db.query<{ principal_id: string }>(
    `UPDATE sign_in_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING principal_id`,
    [sha256Hex(token)],
  );
  return rows[0]?.principal_id;
}

export interface WebSession {
  idHash: string;
  principal: Principal;
  csrfToken: string;
}

/** Opens a session for a signed-in person; the caller sets the returned id as the cookie. Expired ones are swept. */
export async function createWebSession(db: Queryable, principalId: string, validForMs: number): Promise<string> {
  await db.query('DELETE FROM web_sessions WHERE expires_at < now()');
  const id = secret();
  await db.query(
    `INSERT INTO web_sessions (id_hash, principal_id, csrf_token, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')`,
    [sha256Hex(id), principalId, secret(), validForMs],
  );
  return id;
}

export async function webSessionFor(db: Queryable, id: string): Promise<WebSession | undefined> {
  const { rows } = await db.query(
    `SELECT s.id_hash, s.csrf_token, p.id, p.email, p.name, p.roles, p.manager_id
       FROM web_sessions s JOIN principals p ON p.id = s.principal_id
      WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [sha256Hex(id)],
  );
  const row = rows[0];
  return (
    row && {
      idHash: row.id_hash,
      csrfToken: row.csrf_token,
      principal: { id: row.id, email: row.email, name: row.name, roles: row.roles, managerId: row.manager_id },
    }
  );
}

export async function endWebSession(db: Queryable, idHash: string) {
  await db.query('DELETE FROM web_sessions WHERE id_hash = $1', [idHash]);
}
