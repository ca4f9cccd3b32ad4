import { z } from 'zod';
import { describeIssues } from './issues';

const url = (protocols: string[]) =>
  z.url({ message: 'must be a URL' }).refine((value) => protocols.includes(new URL(value).protocol), {
    message: `must use ${protocols.join(' or ')}`,
  });

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const flag = z.enum(['true', 'false']).transform((value) => value === 'true');

/** Every setting the api, the worker and the scripts read from the environment, checked once at boot. */
export const configSchema = z
  .object({
    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/aims_flow'),
    TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    TEMPORAL_TASK_QUEUE: z.string().min(1).default('aims-flow'),
    /** TLS to the Temporal frontend: implied by any of the files below or an API key (Temporal Cloud). */
    TEMPORAL_TLS: flag.optional(),
    /** PEM file of the CA that signed the frontend's certificate, when it is not a public one. */
    TEMPORAL_TLS_CA_FILE: z.string().min(1).optional(),
    /** PEM files of this client's certificate and key, for mTLS. */
    TEMPORAL_TLS_CERT_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_FILE: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    TEMPORAL_UI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8233'),
    SMTP_URL: url(['smtp:', 'smtps:']).default('smtp://127.0.0.1:1025'),
    MAIL_FROM: z.string().min(3).default('aims-flow <governance@aims-flow.local>'),
    PUBLIC_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:3000'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Where /metrics is served: its own listener, on the loopback address unless an operator opens it. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
    METRICS_HOST: z.string().min(1).default('127.0.0.1'),
    TEMPORAL_CALL_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    /**
     * Which proxies in front of the api are trusted to name the client (Express "trust proxy": a hop
     * count, "loopback", or addresses and CIDRs). Unset, the client is the connection's peer.
     */
    TRUST_PROXY: z
      .string()
      .min(1)
      .transform((value) => (/^\d+$/.test(value) ? Number(value) : value))
      .optional(),
    /** Requests per minute from one client address, and of one signed-in principal; incident reports per reporter per hour. */
    RATE_LIMIT_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
    RATE_LIMIT_PER_PRINCIPAL_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    INCIDENT_REPORTS_PER_REPORTER_PER_HOUR: z.coerce.number().int().min(1).default(30),
    POLICY_FILE: z.string().min(1).optional(),
    /** 32 random bytes in base64 (`openssl rand -base64 32`): every Temporal payload is sealed with it (AES-256-GCM). */
    PAYLOAD_ENCRYPTION_KEY_FILE: z.string().min(1).optional(),
    /** The key before a rotation: it still opens what was sealed with it. */
    PAYLOAD_ENCRYPTION_PREVIOUS_KEY_FILE: z.string().min(1).optional(),
    /** PEM Ed25519 private key with which the api signs people's commands to workflows (`openssl genpkey -algorithm ed25519`). */
    COMMAND_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** The key before a rotation: it keeps signing until the processes started under it have ended. */
    COMMAND_PREVIOUS_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** Hex Ed25519 public key of the signing key, for a worker that holds no private key. */
    COMMAND_PUBLIC_KEY: z
      .string()
      .regex(/^[0-9a-f]{64}$/, { message: 'must be 64 lowercase hex digits (a raw Ed25519 public key)' })
      .optional(),
    /** Where the worker's background verifier connects: a login in aims_flow_verifier, the one role that may write checkpoints (DATABASE_URL when unset). */
    AUDIT_DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
    /** PEM Ed25519 private key with which the worker's background verifier signs audit chain checkpoints. */
    AUDIT_SIGNING_KEY_FILE: z.string().min(1).optional(),
    /** Hex public keys of the verifier (the current one, and earlier ones after a rotation), comma-separated: the api shows checkpoints signed by these. */
    AUDIT_PUBLIC_KEYS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((key) => key.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[0-9a-f]{64}$/, { message: 'each must be 64 lowercase hex digits (a raw Ed25519 public key)' })).min(1))
      .optional(),
    /** How often the verifier extends the checkpoint, and how often it walks the whole chain from genesis again. */
    AUDIT_CHECKPOINT_EVERY_SECONDS: z.coerce.number().int().min(1).default(60),
    AUDIT_WALK_FROM_GENESIS_EVERY_HOURS: z.coerce.number().min(0).default(24),
    /**
     * How many workflows the worker keeps in memory between their tasks, about 0.27 MB each (README,
     * Performance): a workflow pushed out is replayed from its history when it next has work.
     */
    WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(1000),
    /** A workflow bundle built ahead (bundleWorkflowCode), so a worker starts in a second instead of bundling. */
    WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(logLevels).default('info'),
  })
  .refine((config) => !config.TEMPORAL_TLS_CERT_FILE === !config.TEMPORAL_TLS_KEY_FILE, {
    message: 'set both TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE, or neither',
    path: ['TEMPORAL_TLS_CERT_FILE'],
  })
  .refine((config) => !(config.TEMPORAL_TLS === false && (config.TEMPORAL_TLS_CERT_FILE || config.TEMPORAL_TLS_CA_FILE || config.TEMPORAL_API_KEY)), {
    message: 'TEMPORAL_TLS=false cannot go with TLS files or an API key',
    path: ['TEMPORAL_TLS'],
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

/** How to reach Temporal: the one shape the api's client and the worker's native connection both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: { serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer }; serverNameOverride?: string } | false;
  apiKey?: string;
}

/** The connection options of the configuration; `readFile` reads the PEM files it names. */
export function temporalConnectionOptions(config: Config, readFile: (path: string) => Buffer): TemporalConnectionOptions {
  const tlsWanted = config.TEMPORAL_TLS ?? Boolean(config.TEMPORAL_TLS_CA_FILE || config.TEMPORAL_TLS_CERT_FILE || config.TEMPORAL_API_KEY);
  if (!tlsWanted) return { address: config.TEMPORAL_ADDRESS };
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: {
      ...(config.TEMPORAL_TLS_CA_FILE && { serverRootCACertificate: readFile(config.TEMPORAL_TLS_CA_FILE) }),
      ...(config.TEMPORAL_TLS_CERT_FILE &&
        config.TEMPORAL_TLS_KEY_FILE && { clientCertPair: { crt: readFile(config.TEMPORAL_TLS_CERT_FILE), key: readFile(config.TEMPORAL_TLS_KEY_FILE) } }),
      ...(config.TEMPORAL_TLS_SERVER_NAME && { serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME }),
    },
    ...(config.TEMPORAL_API_KEY && { apiKey: config.TEMPORAL_API_KEY }),
  };
}
