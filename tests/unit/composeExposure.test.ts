import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface ComposeService {
  ports?: string[];
  profiles?: string[];
  environment?: Record<string, string>;
  networks?: string[];
  secrets?: string[];
}
const composeText = readFileSync(path.join(__dirname, '../../docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, ComposeService>; networks: Record<string, { internal?: boolean }> };
const services = compose.services;
const inDefaultProfile = (name: string) => !services[name].profiles?.length;

describe('the compose deployment', () => {
  it('publishes only the api; the mail catcher only in the local profile and on the loopback address', () => {
    const published = Object.keys(services).filter((name) => services[name].ports?.length && inDefaultProfile(name));
    expect(published).toEqual(['api']);
    expect(services.mailpit.profiles).toEqual(['local']);
    for (const port of services.mailpit.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });

  it('keeps Temporal, its UI and PostgreSQL on a network with no way out, and the UI read-only', () => {
    expect(compose.networks.internal.internal).toBe(true);
    for (const name of ['postgresql', 'temporal', 'temporal-ui']) expect(services[name].networks).toEqual(['internal']);
    expect(services['temporal-ui'].environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
  });

  it('defaults no password, and runs the services as the least-privileged database login', () => {
    expect(composeText).not.toMatch(/PASSWORD:-/);
    expect(composeText).not.toMatch(/PWD: \$\{[A-Z_]+:-/);
    for (const name of ['api', 'worker']) expect(services[name].environment?.DATABASE_URL).toMatch(/^postgres:\/\/aims_flow_svc:/);
    // Only the worker's verifier writes audit checkpoints, as a login of its own.
    expect(services.worker.environment?.AUDIT_DATABASE_URL).toMatch(/^postgres:\/\/aims_flow_verifier_svc:/);
    expect(services.api.environment?.AUDIT_DATABASE_URL).toBeUndefined();
    expect(services['app-migrate'].environment?.VERIFIER_DATABASE_URL).toBe(services.worker.environment?.AUDIT_DATABASE_URL);
  });

  it('gives the api the command-signing key as a secret and the worker only its public key, the worker the audit key; both seal payloads', () => {
    expect(services.api.secrets).toEqual(['command_signing_key', 'payload_encryption_key']);
    expect(services.worker.secrets).toEqual(['payload_encryption_key', 'audit_signing_key']);
    for (const name of ['api', 'worker']) expect(services[name].environment?.PAYLOAD_ENCRYPTION_KEY_FILE).toBe('/run/secrets/payload_encryption_key');
    expect(services.api.environment?.COMMAND_SIGNING_KEY_FILE).toBe('/run/secrets/command_signing_key');
    expect(services.worker.environment?.COMMAND_SIGNING_KEY_FILE).toBeUndefined();
    expect(services.worker.environment?.COMMAND_PUBLIC_KEY).toBeDefined();
    // The worker signs audit checkpoints; the api only checks them.
    expect(services.worker.environment?.AUDIT_SIGNING_KEY_FILE).toBe('/run/secrets/audit_signing_key');
    expect(services.api.environment?.AUDIT_SIGNING_KEY_FILE).toBeUndefined();
    expect(services.api.environment?.AUDIT_PUBLIC_KEYS).toBeDefined();
  });
});
