import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Pool } from '../db/pool';
import type { Policy } from '../domain/policy';

export const withTemporalDeadline = <T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> =>
  deps.temporal.withDeadline(Date.now() + deps.temporalDeadlineMs, call);

export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  policy: Policy;
  logger: Logger;
  temporalUiUrl: string;
  /** How long one call to Temporal may take before the api answers 503 (the client retries with its key). */
  temporalDeadlineMs: number;
  /** Sign-in links are sent by the api itself: they are not part of any process. */
  mailer: Transporter;
  mailFrom: string;
  /** Links in emails and the cookie's Secure flag come from here, never from the Host header. */
  publicBaseUrl: string;
}

/** Where a workflow is seen in the Temporal Web UI. */
export const temporalUiLink = (deps: ApiDeps, workflowId: string) =>
  `${deps.temporalUiUrl}/namespaces/${deps.temporal.options.namespace}/workflows/${workflowId}`;
