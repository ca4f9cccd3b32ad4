import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { inTransaction } from './pool';

const migrationsDir = path.join(__dirname, 'migrations');
const migrationLock = 42_042_001;

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent start
      });
    }
  } finally {
    await client.end();
  }
}

/** Applies the SQL files of db/migrations in name order, each once, under an advisory lock. */
export async function migrate(pool: pg.Pool): Promise<string[]> {
  const files = (await readdir(migrationsDir)).filter((file) => file.endsWith('.sql')).sort();
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const applied = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((row) => row.name));
    const pending = files.filter((file) => !applied.has(file));
    for (const file of pending) {
      await client.query(await readFile(path.join(migrationsDir, file), 'utf8'));
      await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
    }
    return pending;
  });
}

/**
 * The login the api and the worker connect as: a member of aims_flow_app (migration 004), which owns
 * nothing and may only append to the audit trail; or, with `memberOf` aims_flow_verifier (migration
 * 023), the background verifier's, which reads the trail and writes only checkpoints. Created, or given
 * its password again, from the user and password of `serviceDatabaseUrl`; run by the role that migrates.
 */
export async function ensureServiceLogin(
  pool: pg.Pool,
  serviceDatabaseUrl: string,
  memberOf: 'aims_flow_app' | 'aims_flow_verifier' = 'aims_flow_app',
): Promise<string> {
  const url = new URL(serviceDatabaseUrl);
  const login = decodeURIComponent(url.username);
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(login)) throw new Error('the service database URL needs a user name of lower-case letters, digits and _');
  const password = decodeURIComponent(url.password);
  const role = pg.escapeIdentifier(login);
  const passwordClause = password ? `PASSWORD ${pg.escapeLiteral(password)}` : 'PASSWORD NULL';
  await inTransaction(pool, async (client) => {
    // Roles belong to the whole PostgreSQL server: one migration at a time sets this one up.
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    const { rows } = await client.query<{ rolsuper: boolean; rolcreaterole: boolean; own: boolean }>(
      'SELECT rolsuper, rolcreaterole, rolname = current_user AS own FROM pg_roles WHERE rolname = $1',
      [login],
    );
    // The services' login is a role of its own: never the migrating role, an administrator or a superuser.
    if (rows[0] && (rows[0].own || rows[0].rolsuper || rows[0].rolcreaterole)) {
      throw new Error(`${login} is a superuser, an administrator or the migrating role itself: the services need a login of their own`);
    }
    const exists = rows.length === 1;
    await client.query(
      exists ? `ALTER ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE ${passwordClause}` : `CREATE ROLE ${role} LOGIN ${passwordClause}`,
    );
    await client.query(`GRANT ${memberOf} TO ${role}`);
  });
  return login;
}
