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
export async function createSignInLink(db: Queryable, principalId: string, validForMs: number, browser: string): Promise<string> {
  await db.query("DELETE FROM sign_in_links WHERE expires_at < now() - interval '1 day'");
  const token = secret();
  await db.query(`INSERT INTO sign_in_links (token_hash, principal_id, expires_at, browser_hash) VALUES ($1, $2, now() + $3 * interval '1 millisecond', $4)`, [
    sha256Hex(token),
    principalId,
    validForMs,
    sha256Hex(browser),
  ]);
  return token;
}

export type SignInLinkState = 'usable' | 'other_browser' | 'unusable';

/** Whether the link is still good in this browser, without using it: GET shows a button, only a POST signs in. */
export async function signInLinkState(db: Queryable, token: string, browser: string | undefined): Promise<SignInLinkState> {
  const { rows } = await db.query<{ browser_hash: string | null }>(
    'SELECT browser_hash FROM sign_in_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()',
    [sha256Hex(token)],
  );
  if (!rows[0]) return 'unusable';
  return rows[0].browser_hash === null || (browser !== undefined && rows[0].browser_hash === sha256Hex(browser)) ? 'usable' : 'other_browser';
}

/**
 * Uses the link once, in the browser that asked for it, and ends every other link of the same person;
 * returns whose it was, or undefined when it was unknown, used, expired or opened elsewhere.
 */
export async function consumeSignInLink(db: Queryable, token: string, browser: string | undefined): Promise<string | undefined> {
  const { rows } = await db.query<{ principal_id: string }>(
    `UPDATE sign_in_links SET used_at = now()
      WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND (browser_hash IS NULL OR browser_hash = $2)
      RETURNING principal_id`,
    [sha256Hex(token), browser === undefined ? null : sha256Hex(browser)],
  );
  const principalId = rows[0]?.principal_id;
  if (principalId) await db.query('UPDATE sign_in_links SET used_at = now() WHERE principal_id = $1 AND used_at IS NULL', [principalId]);
  return principalId;
}

export interface WebSession {
  idHash: string;
  /** Names the session on the sessions page without its secret. */
  publicId: string;
  principal: Principal;
  csrfToken: string;
}

/** Opens a session for a signed-in person; the caller sets the returned id as the cookie. Expired ones are swept. */
export async function createWebSession(db: Queryable, principalId: string, validForMs: number, userAgent?: string): Promise<string> {
  await db.query('DELETE FROM web_sessions WHERE expires_at < now()');
  const id = secret();
  await db.query(
    `INSERT INTO web_sessions (id_hash, principal_id, csrf_token, expires_at, user_agent) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', $5)`,
    [sha256Hex(id), principalId, secret(), validForMs, userAgent?.slice(0, 300) ?? null],
  );
  return id;
}

/** Idle sessions end too: this long without a request, and the next one finds no session. */
export const sessionIdleLimitMs = 30 * 60 * 1000;

/** The live session of the cookie: within its limit and not idle for longer than `idleMs`; its use is noted, at most once a minute. */
export async function webSessionFor(db: Queryable, id: string, idleMs = sessionIdleLimitMs): Promise<WebSession | undefined> {
  const { rows } = await db.query(
    `SELECT s.id_hash, s.public_id, s.csrf_token, s.last_seen_at < now() - interval '1 minute' AS stale, p.id, p.email, p.name, p.roles, p.manager_id
       FROM web_sessions s JOIN principals p ON p.id = s.principal_id
      WHERE s.id_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - $2 * interval '1 millisecond'`,
    [sha256Hex(id), idleMs],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) await db.query('UPDATE web_sessions SET last_seen_at = now() WHERE id_hash = $1', [row.id_hash]);
  return {
    idHash: row.id_hash,
    publicId: row.public_id,
    csrfToken: row.csrf_token,
    principal: { id: row.id, email: row.email, name: row.name, roles: row.roles, managerId: row.manager_id },
  };
}

export interface SessionSummary {
  publicId: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
}

export async function sessionsOf(db: Queryable, principalId: string, idleMs = sessionIdleLimitMs): Promise<SessionSummary[]> {
  const { rows } = await db.query(
    `SELECT public_id, created_at, last_seen_at, expires_at, user_agent FROM web_sessions
      WHERE principal_id = $1 AND expires_at > now() AND last_seen_at > now() - $2 * interval '1 millisecond' ORDER BY created_at DESC`,
    [principalId, idleMs],
  );
  return rows.map((row) => ({
    publicId: row.public_id,
    createdAt: row.created_at.toISOString(),
    lastSeenAt: row.last_seen_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    userAgent: row.user_agent,
  }));
}

/** Ends one of the person's sessions by its public id, or all of them; answers how many ended. */
export async function endSessionsOf(db: Queryable, principalId: string, publicId?: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM web_sessions WHERE principal_id = $1 AND ($2::uuid IS NULL OR public_id = $2::uuid)', [
    principalId,
    publicId ?? null,
  ]);
  return rowCount ?? 0;
}

export async function endWebSession(db: Queryable, idHash: string) {
  await db.query('DELETE FROM web_sessions WHERE id_hash = $1', [idHash]);
}
