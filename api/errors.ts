import { randomUUID } from 'node:crypto';
import { ServiceError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { decisionRefusals, type DecisionRefusal } from '../workflows/contracts';
import { html, layout, notice, pageSecurityHeaders } from './html';

/** An error with the HTTP status and machine-readable code a client acts on. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string[]>,
    /** Headers the answer carries, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} was not found`);
export const forbidden = (why: string) => new AppError(403, 'forbidden', why);

export function invalidInput(error: z.ZodError, where: 'body' | 'query' | 'header' = 'body'): AppError {
  const fields: Record<string, string[]> = {};
  const add = (path: PropertyKey[], message: string) => (fields[path.length ? path.join('.') : where] ??= []).push(message);
  for (const issue of error.issues) {
    // An unknown field is named itself, not its parent object.
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) add([...issue.path, key], 'is not a known field');
    else add(issue.path, issue.message);
  }
  return new AppError(400, 'invalid_input', `the request ${where} is invalid`, fields);
}

const refusalStatus: Record<DecisionRefusal, number> = {
  [decisionRefusals.segregationOfDuties]: 403,
  [decisionRefusals.invalidSubmission]: 400,
  [decisionRefusals.taskClosed]: 409,
  [decisionRefusals.notAssignee]: 409,
  [decisionRefusals.alreadyDecided]: 409,
  [decisionRefusals.choiceNotAllowed]: 409,
  [decisionRefusals.snapshotMismatch]: 409,
  [decisionRefusals.invalidDelegate]: 409,
  [decisionRefusals.notRequester]: 403,
  [decisionRefusals.taskOpening]: 503,
  [decisionRefusals.notAmendable]: 409,
  // The api signs every command: a refused signature means its key is not the one the workflow holds.
  [decisionRefusals.commandNotSigned]: 500,
  // Signed, then held up past its lifetime (a long retry): sent again, it is signed afresh.
  [decisionRefusals.commandExpired]: 503,
  [decisionRefusals.alreadySerious]: 409,
};

/** A refusal's error code in the api's one casing: `TaskClosed` (Temporal's PascalCase failure type) is `task_closed`. */
const refusalCode = (refusal: DecisionRefusal) => refusal.replace(/(?<!^)(?=[A-Z])/g, '_').toLowerCase();

/** The api's answer to a request the task workflow would refuse, refused before it is sent. */
export const refusalError = (refusal: DecisionRefusal, message: string) => new AppError(refusalStatus[refusal], refusalCode(refusal), message);

/** Whether the api's error is the task workflow's `refusal`. */
export const isRefusal = (error: unknown, refusal: DecisionRefusal) => error instanceof AppError && error.code === refusalCode(refusal);

/** A decision the task workflow refused in its validator, as the HTTP error the client sees. */
export function refusedDecision(error: WorkflowUpdateFailedError): AppError | undefined {
  const cause = error.cause;
  if (!(cause instanceof ApplicationFailure) || !cause.type || !Object.hasOwn(refusalStatus, cause.type)) return undefined;
  return refusalError(cause.type as DecisionRefusal, cause.message);
}

const grpcUnavailableCodes = new Set([4, 14, 'TEMPORAL_DEADLINE_EXCEEDED']); // DEADLINE_EXCEEDED, UNAVAILABLE, our own abort at the deadline
const pgUnavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '08006', '08001']);

/**
 * Temporal refuses an Update, not yet seen by the workflow, while the workflow's last task failed and is
 * being retried (a worker died in it), or when the task that carried the Update failed to complete (it
 * lost a race with another write to the workflow, and the server leaves the retry to the caller). The
 * same Update succeeds once a worker has run the task again.
 */
const workflowNotReady = /Workflow Task in failed state|unexpected workflow task failure/i;

export function isUpdateRefusedForNow(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : undefined;
  return (cause as { code?: unknown } | undefined)?.code === 9 && workflowNotReady.test((cause as Error).message);
}

/** True when the failure is a dependency being down, which the client may retry later. */
export function isDependencyUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: any = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    if (grpcUnavailableCodes.has(current.code) || pgUnavailableCodes.has(current.code)) return true;
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isUpdateRefusedForNow(current)) return true;
    if (current instanceof ServiceError && /unavailable|connect|deadline/i.test(current.message)) return true;
    if (/Connection terminated|timeout exceeded when trying to connect/i.test(current.message ?? '')) return true;
    current = current.cause;
  }
  return false;
}

/** Unauthenticated, forbidden (segregation of duties among them), over a rate limit. */
const securityStatuses = new Set([401, 403, 429]);

/** The one error handler: every failure becomes a JSON error with an id that matches the log line. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const errorId = randomUUID();
    let status = 500;
    let body: Record<string, unknown> = { error: 'internal', message: 'something went wrong; quote the error id when reporting it' };
    if (error instanceof AppError) {
      status = error.status;
      if (error.headers) res.set(error.headers);
      body = { error: error.code, message: error.message, ...(error.fields && { fields: error.fields }) };
    } else if (error instanceof WorkflowNotFoundError) {
      status = 404;
      body = { error: 'not_found', message: 'the process was not found' };
    } else if (error?.type === 'entity.parse.failed') {
      status = 400;
      body = { error: 'invalid_json', message: 'the request body is not valid JSON' };
    } else if (error?.type === 'entity.too.large') {
      status = 413;
      body = { error: 'too_large', message: 'the request body is too large' };
    } else if (error?.expose === true && error.status >= 400 && error.status < 500 && typeof error.type === 'string') {
      // The body parsers' other refusals (too many form fields, an unsupported charset, an aborted body).
      status = error.status;
      body = { error: error.type.replace(/\./g, '_'), message: 'the request body could not be read' };
    } else if (isDependencyUnavailable(error)) {
      status = 503;
      body = { error: 'unavailable', message: 'a service aims-flow depends on is unavailable; retry later' };
    }
    // Refusals of who someone is or what they may do are security events, named so that alerts can match them.
    const securityEvent = securityStatuses.has(status) ? { securityEvent: String(body.error) } : {};
    const log = status >= 500 ? logger.error.bind(logger) : securityStatuses.has(status) ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ errorId, status, err: error, reqId: req.id, ...securityEvent }, 'request failed');
    if (!req.originalUrl.startsWith('/api/') && req.accepts(['json', 'html']) === 'html') {
      // A person on a page gets a page, with the id that matches the log line.
      const page = layout('Something went wrong', html`${notice(String(body.message), true)}<p>Error id: <code>${errorId}</code></p>`);
      return res.status(status).set(pageSecurityHeaders).type('html').send(page);
    }
    res.status(status).json({ ...body, errorId });
  };
}
