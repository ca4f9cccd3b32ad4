import type { Request } from 'express';
import { z } from 'zod';
import { findUnstorableText, unstorableTextMessage } from '../domain/fields';
import { AppError, invalidInput } from './errors';

/**
 * Text PostgreSQL could not store is refused at the door, wherever it sits in the input, so nothing
 * is accepted that a later step would have to drop.
 */
export function refuseUnstorableText(input: unknown, where: 'body' | 'query' = 'body'): void {
  const path = findUnstorableText(input);
  if (!path) return;
  const field = path.length ? path.join('.') : where;
  throw new AppError(400, 'invalid_input', `the request ${where} is invalid`, { [field]: [unstorableTextMessage] });
}

export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  refuseUnstorableText(req.body);
  const result = schema.safeParse(req.body ?? {});
  if (!result.success) throw invalidInput(result.error, 'body');
  return result.data;
}

export function parseQuery<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  refuseUnstorableText(req.query, 'query');
  const result = schema.safeParse(req.query);
  if (!result.success) throw invalidInput(result.error, 'query');
  return result.data;
}

export const uuidParam = z.uuid({ message: 'must be a UUID' });

export function parseId(req: Request, name = 'id'): string | undefined {
  const result = uuidParam.safeParse(req.params[name]);
  return result.success ? result.data : undefined;
}

const idempotencyKeySchema = z
  .string()
  .min(8, 'must be at least 8 characters')
  .max(200)
  .regex(/^[\w.:-]+$/, 'may hold letters, digits and . _ : - only');

/** The client's Idempotency-Key, when it sent one. */
export function idempotencyKey(req: Request): string | undefined {
  const raw = req.get('idempotency-key');
  if (raw === undefined) return undefined;
  const result = idempotencyKeySchema.safeParse(raw);
  if (!result.success) throw invalidInput(new z.ZodError(result.error.issues.map((issue) => ({ ...issue, path: ['Idempotency-Key'] }))), 'header');
  return result.data;
}
