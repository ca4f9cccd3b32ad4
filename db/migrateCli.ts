import { parseConfig } from '../domain/config';
import { ensureDatabase, migrate } from './migrate';
import { createPool } from './pool';

async function main() {
  const config = parseConfig(process.env);
  await ensureDatabase(config.DATABASE_URL);
  const pool = createPool(config.DATABASE_URL);
  try {
    const applied = await migrate(pool);
    console.log(applied.length ? `applied ${applied.join(', ')}` : 'database schema is up to date');
  } finally {
    await pool.end();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
