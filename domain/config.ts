import { z } from 'zod';
import { describeIssues } from './issues';

const url = (protocols: string[]) =>
  z.url({ message: 'must be a URL' }).refine((value) => protocols.includes(new URL(value).protocol), {
    message: `must use ${protocols.join(' or ')}`,
  });

/** Every setting the api, the worker and the scripts read from the environment, checked once at boot. */
export const configSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/aims_flow'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('aims-flow'),
  TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
  SMTP_URL: url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
  MAIL_FROM: z.string().min(3).default('aims-flow <governance@aims-flow.local>'),
  PUBLIC_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:3000'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  POLICY_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = describeIssues(result.error).map((line) => `  ${line}`);
  throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
}
