import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigError, parseConfig, temporalConnectionOptions } from '../domain/config';

/**
 * A Temporal frontend behind mutual TLS, as a secured self-hosted cluster runs it: a TLS front with its
 * own CA that demands a client certificate, passing the connection on to the run's server.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'aims-flow-tls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** A key and a certificate signed by the test CA, with the extensions given. */
function issue(name: string, subject: string, extensions: string) {
  writeFileSync(file(`${name}.ext`), `${extensions}\n`);
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file(`${name}.key`),
    '-out',
    file(`${name}.csr`),
    '-subj',
    subject,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    file(`${name}.csr`),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    file(`${name}.pem`),
    '-extfile',
    file(`${name}.ext`),
  );
}

let front: tls.Server;
let address: string;
beforeAll(async () => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=aims-flow test CA',
  );
  for (const [name, extension] of [
    ['server', 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ]) {
    issue(name, `/CN=${name === 'server' ? 'temporal.test' : 'aims-flow worker'}`, extension);
  }
  const [backendHost, backendPort] = inject('temporalAddress').split(':');
  front = tls.createServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const backend = net.connect(Number(backendPort), backendHost);
      socket.pipe(backend).pipe(socket);
      socket.on('error', () => backend.destroy());
      backend.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(front.address() as net.AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => front?.close(resolve)));

const configured = (env: Record<string, string>) =>
  temporalConnectionOptions(parseConfig({ TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_NAME: 'temporal.test', ...env }), (name) => readFileSync(name));

describe('the Temporal connection over TLS, configured from the environment', () => {
  it('reaches an mTLS frontend with the CA, client certificate and key it is given: the api client and the worker alike', async () => {
    const options = configured({ TEMPORAL_TLS_CA_FILE: file('ca.pem'), TEMPORAL_TLS_CERT_FILE: file('client.pem'), TEMPORAL_TLS_KEY_FILE: file('client.key') });
    const client = await Connection.connect({ ...options, connectTimeout: 5_000 });
    try {
      expect((await client.workflowService.getSystemInfo({})).serverVersion).toEqual(expect.any(String));
    } finally {
      await client.close();
    }
    const worker = await NativeConnection.connect(options);
    await worker.close();
  });

  it('is refused without a client certificate, and does not trust a server its CA did not sign', async () => {
    await expect(Connection.connect({ ...configured({ TEMPORAL_TLS_CA_FILE: file('ca.pem') }), connectTimeout: 3_000 })).rejects.toThrow();
    await expect(
      Connection.connect({ ...configured({ TEMPORAL_TLS_CERT_FILE: file('client.pem'), TEMPORAL_TLS_KEY_FILE: file('client.key') }), connectTimeout: 3_000 }),
    ).rejects.toThrow();
  });

  it('refuses settings that cannot go together, naming them', () => {
    expect(() => parseConfig({ TEMPORAL_TLS_CERT_FILE: file('client.pem') })).toThrow(ConfigError);
    expect(() => parseConfig({ TEMPORAL_TLS_CERT_FILE: file('client.pem') })).toThrow(/TEMPORAL_TLS_CERT_FILE: set both/);
    expect(() => parseConfig({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'key' })).toThrow(/TEMPORAL_TLS: TEMPORAL_TLS=false cannot go with/);
    expect(temporalConnectionOptions(parseConfig({}), () => Buffer.alloc(0))).toEqual({ address: '127.0.0.1:7233' });
    expect(temporalConnectionOptions(parseConfig({ TEMPORAL_API_KEY: 'cloud-key' }), () => Buffer.alloc(0))).toEqual({
      address: '127.0.0.1:7233',
      tls: {},
      apiKey: 'cloud-key',
    });
  });
});
