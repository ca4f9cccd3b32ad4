import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, ValueError, type DataConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError, type Config } from '../domain/config';

const encryptedEncoding = 'binary/encrypted';
const keyIdKey = 'encryption-key-id';
const ivBytes = 12;
const tagBytes = 16;

const text = (value: string) => new TextEncoder().encode(value);
const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 16);

/**
 * Temporal's encryption codec pattern: every payload (inputs, results, signals, updates, memos) is
 * sealed with AES-256-GCM before it leaves the process, so the Temporal server and its database hold
 * no personal data in clear. Each payload names its key by id; the first key seals, every key opens,
 * so a rotation keeps old histories readable. Payloads written before encryption pass through.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly currentKeyId: string;

  constructor(keys: [Buffer, ...Buffer[]]) {
    for (const key of keys) if (key.length !== 32) throw new ConfigError('a payload encryption key must be 32 bytes (AES-256)');
    this.keys = new Map(keys.map((key) => [keyIdOf(key), key]));
    this.currentKeyId = keyIdOf(keys[0]);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.currentKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const sealed = Buffer.concat([cipher.update(temporal.api.common.v1.Payload.encode(payload).finish()), cipher.final(), cipher.getAuthTag()]);
      return { metadata: { [METADATA_ENCODING_KEY]: text(encryptedEncoding), [keyIdKey]: text(this.currentKeyId) }, data: Buffer.concat([iv, sealed]) };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (new TextDecoder().decode(payload.metadata?.[METADATA_ENCODING_KEY]) !== encryptedEncoding) return payload;
      const keyId = new TextDecoder().decode(payload.metadata?.[keyIdKey]);
      const key = this.keys.get(keyId);
      if (!key) throw new ValueError(`no payload decryption key with id ${keyId}`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, ivBytes));
      decipher.setAuthTag(data.subarray(data.length - tagBytes));
      const opened = Buffer.concat([decipher.update(data.subarray(ivBytes, data.length - tagBytes)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(opened);
    });
  }
}

/** A key file holds 32 random bytes in base64 (`openssl rand -base64 32`). */
function keyFrom(file: string, readFile: (path: string) => Buffer): Buffer {
  const key = Buffer.from(readFile(file).toString('utf8').trim(), 'base64');
  if (key.length !== 32) throw new ConfigError(`${file}: a payload encryption key is 32 bytes in base64 (openssl rand -base64 32)`);
  return key;
}

/**
 * The data converter of every Temporal client and worker of aims-flow: encrypting when a key is
 * configured. Failure messages stay readable to the server: the workflows write them to name a rule
 * or a field, never to quote what someone submitted.
 */
export function payloadDataConverter(config: Config, readFile: (path: string) => Buffer): DataConverter {
  if (!config.PAYLOAD_ENCRYPTION_KEY_FILE) return {};
  const previous = config.PAYLOAD_ENCRYPTION_PREVIOUS_KEY_FILE ? [keyFrom(config.PAYLOAD_ENCRYPTION_PREVIOUS_KEY_FILE, readFile)] : [];
  return encryptingDataConverter([keyFrom(config.PAYLOAD_ENCRYPTION_KEY_FILE, readFile), ...previous]);
}

export const encryptingDataConverter = (keys: [Buffer, ...Buffer[]]) => ({ payloadCodecs: [new EncryptionCodec(keys)] }) satisfies DataConverter;
