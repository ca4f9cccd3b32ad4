import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Pool } from '../db/pool';
import type { Policy } from '../domain/policy';

export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  policy: Policy;
  logger: Logger;
  temporalUiUrl: string;
}
