import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDatabase, migrate } from '../db/migrate';
import { createPool, inTransaction, type Pool } from '../db/pool';
import { newApiKey, upsertPrincipal } from '../db/principals';
import { parseConfig } from '../domain/config';
import type { Role } from '../domain/principal';

export interface DemoPerson {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  managerId: string | null;
  apiKey: string;
  /** One line for the start banner: who to be when trying what. */
  playsAs: string;
}

interface DemoCastMember {
  id: string;
  name: string;
  roles: Role[];
  managerId: string | null;
  playsAs: string;
}

export const demoDomain = 'aims-flow.local';

/** Managers come before the people who report to them: manager_id references an existing principal. */
const demoCast: readonly DemoCastMember[] = [
  { id: 'erin', name: 'Erin Executive', roles: ['executive'], managerId: null, playsAs: 'last escalation step above the governance leads' },
  { id: 'omar', name: 'Omar Manager', roles: ['approver'], managerId: null, playsAs: "Olivia's manager; approves and takes her escalations" },
  { id: 'olivia', name: 'Olivia Owner', roles: ['system_owner'], managerId: 'omar', playsAs: 'files AI systems and maintains them' },
  { id: 'grace', name: 'Grace Lead', roles: ['governance_lead'], managerId: 'erin', playsAs: 'triages intakes, watches what is overdue' },
  { id: 'gil', name: 'Gil Lead', roles: ['governance_lead'], managerId: null, playsAs: 'second governance lead' },
  { id: 'ada', name: 'Ada Approver', roles: ['approver'], managerId: null, playsAs: 'signs off assessments and risk plans' },
  { id: 'aldo', name: 'Aldo Auditor', roles: ['auditor'], managerId: null, playsAs: 'reads evidence and the audit trail' },
  { id: 'alma', name: 'Alma Admin', roles: ['admin'], managerId: null, playsAs: 'manages principals and policy' },
  { id: 'priya', name: 'Priya Privacy', roles: ['privacy_officer'], managerId: null, playsAs: 'reviews impact assessments for privacy' },
  { id: 'rick', name: 'Rick Risk', roles: ['risk_officer'], managerId: null, playsAs: 'reviews impact assessments for risk' },
  {
    id: 'leo',
    name: 'Leo Legal',
    roles: ['legal_counsel'],
    managerId: null,
    playsAs: 'reviews high-tier assessments; reports serious incidents to the authority',
  },
  {
    id: 'sam',
    name: 'Sam Security',
    roles: ['security_officer'],
    managerId: null,
    playsAs: 'reviews high-tier assessments; revokes access when a system retires',
  },
];

interface CredentialsFile {
  note: string;
  apiKeys: Record<string, string>;
}

/**
 * Creates or updates the demo principals of the local start. Their API keys are generated on the first
 * seed and kept in `credentialsFile` (mode 0600, outside git), so a later start hands out the same keys.
 */
export async function seedDemoPrincipals(pool: Pool, credentialsFile: string): Promise<DemoPerson[]> {
  const stored = await readStoredKeys(credentialsFile);
  const apiKeys: Record<string, string> = {};
  for (const member of demoCast) apiKeys[member.id] = stored[member.id] ?? newApiKey();
  // Keys go to disk before the database: a failed seed then leaves keys that the next seed applies,
  // never hashes in the database whose keys nobody has.
  if (demoCast.some((member) => stored[member.id] !== apiKeys[member.id])) await writeKeys(credentialsFile, apiKeys);
  else await chmod(credentialsFile, 0o600);

  const people = demoCast.map((member) => ({ ...member, email: `${member.id}@${demoDomain}`, apiKey: apiKeys[member.id] }));
  await inTransaction(pool, async (client) => {
    for (const person of people) {
      await upsertPrincipal(client, {
        id: person.id,
        email: person.email,
        name: person.name,
        roles: person.roles,
        managerId: person.managerId,
        apiKey: person.apiKey,
      });
    }
  });
  return people;
}

async function readStoredKeys(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: Partial<CredentialsFile>;
  try {
    parsed = JSON.parse(text) as Partial<CredentialsFile>;
  } catch {
    throw new Error(`${file} is not valid JSON; delete it to generate new demo API keys`);
  }
  const keys: Record<string, string> = {};
  for (const [id, key] of Object.entries(parsed.apiKeys ?? {})) if (typeof key === 'string' && key.length > 0) keys[id] = key;
  return keys;
}

async function writeKeys(file: string, apiKeys: Record<string, string>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const content: CredentialsFile = {
    note: 'API keys of the demo principals of the local start (npm start / npm run seed). Local only; never commit.',
    apiKeys,
  };
  // Written beside the target and renamed, so an interrupted write never leaves half a file.
  const scratch = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(scratch, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(scratch, file);
}

export const defaultCredentialsFile = path.join(__dirname, '..', '.local', 'demo-credentials.json');

/** `npm run seed`: migrates the database named by DATABASE_URL and seeds the demo principals into it. */
async function main() {
  const config = parseConfig(process.env);
  await ensureDatabase(config.DATABASE_URL);
  const pool = createPool(config.DATABASE_URL);
  try {
    await migrate(pool);
    const people = await seedDemoPrincipals(pool, defaultCredentialsFile);
    console.log(`Seeded ${people.length} demo principals; their API keys are in ${path.relative(process.cwd(), defaultCredentialsFile)}`);
    for (const person of people) console.log(`  ${person.name.padEnd(15)} ${person.roles.join(', ').padEnd(16)} ${person.apiKey}`);
  } finally {
    await pool.end();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
