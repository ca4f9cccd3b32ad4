import { parseConfig } from '../domain/config';
import { ensureDatabase, ensureServiceLogin, migrate } from './migrate';
import { createPool } from './pool';

async function main() {
  const config = parseConfig(process.env);
  await ensureDatabase(config.DATABASE_URL);
  const pool = createPool(config.DATABASE_URL);
  try {
    const applied = await migrate(pool);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database schema is up to date');
    // The api and the worker then connect as this login, which owns nothing (docker-compose.yml does so).
    const serviceUrl = process.env.SERVICE_DATABASE_URL;
    if (serviceUrl) console.log(`the services log in as ${await ensureServiceLogin(pool, serviceUrl)}, a member of aims_flow_app`);
    // The worker's background verifier writes audit checkpoints as this one (AUDIT_DATABASE_URL).
    const verifierUrl = process.env.VERIFIER_DATABASE_URL;
    if (verifierUrl)
      console.log(`the audit verifier logs in as ${await ensureServiceLogin(pool, verifierUrl, 'aims_flow_verifier')}, a member of aims_flow_verifier`);
  } finally {
    await pool.end();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
