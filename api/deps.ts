import { AsyncLocalStorage } from 'node:async_hooks';
import type { Client } from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Pool } from '../db/pool';
import type { Policy } from '../domain/policy';
import type { CommandSigner } from './commandSigner';
import type { RateLimitSettings } from './rateLimits';

const requestDeadlines = new AsyncLocalStorage<number>();

/**
 * One deadline per request for all the Temporal calls it makes, so a request that makes several (or
 * asks again while a task is opening) still answers within temporalDeadlineMs when Temporal is down.
 */
export const temporalDeadlinePerRequest =
  (deps: ApiDeps): RequestHandler =>
  (_req, _res, next) =>
    requestDeadlines.run(Date.now() + deps.temporalDeadlineMs, next);

/** When the current request gives up on Temporal (or one deadline from now, outside a request). */
export const temporalDeadline = (deps: ApiDeps): number => requestDeadlines.getStore() ?? Date.now() + deps.temporalDeadlineMs;

/** Answered as 503 like any dependency that is down: the client retries with the same Idempotency-Key. */
export class TemporalDeadlineExceeded extends Error {
  readonly code = 'TEMPORAL_DEADLINE_EXCEEDED';
  override name = 'TemporalDeadlineExceeded';
}

/**
 * A Temporal call that answers by the request's deadline. The gRPC deadline alone is not enough: the
 * client's retries of an unreachable server wait between attempts and can outlast it. At the deadline
 * the call is given up (and aborted, so it stops retrying).
 */
export async function withTemporalDeadline<T>(deps: ApiDeps, call: () => Promise<T>): Promise<T> {
  const deadline = temporalDeadline(deps);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        abort.abort();
        reject(new TemporalDeadlineExceeded('Temporal did not answer before the deadline'));
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  try {
    return await Promise.race([deps.temporal.withDeadline(deadline, () => deps.temporal.withAbortSignal(abort.signal, call)), givenUp]);
  } finally {
    clearTimeout(timer);
  }
}

export interface ApiDeps {
  pool: Pool;
  temporal: Client;
  taskQueue: string;
  /** The policy new processes start under, carrying the signer's public key. */
  policy: Policy;
  commandSigner: CommandSigner;
  /** Public keys of the background verifier: the evidence pack shows the chain as intact only under a checkpoint one of them signed. */
  auditPublicKeys: readonly string[];
  logger: Logger;
  temporalUiUrl: string;
  /** How long one call to Temporal may take before the api answers 503 (the client retries with its key). */
  temporalDeadlineMs: number;
  /** Sign-in links are sent by the api itself: they are not part of any process. */
  mailer: Transporter;
  mailFrom: string;
  /** Links in emails and the cookie's Secure flag come from here, never from the Host header. */
  publicBaseUrl: string;
  /** Proxies trusted to name the client (Express "trust proxy"); none when absent. */
  trustProxy?: string | number;
  /** Requests allowed per window (defaultRateLimits when absent). */
  rateLimits?: RateLimitSettings;
}

/** Where a workflow is seen in the Temporal Web UI. */
export const temporalUiLink = (deps: ApiDeps, workflowId: string) =>
  `${deps.temporalUiUrl}/namespaces/${deps.temporal.options.namespace}/workflows/${workflowId}`;
