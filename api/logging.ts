import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { LogLevel } from '../domain/config';

/**
 * Where a secret could sit in a log line. The request serializer below keeps none of them; these are
 * the second line, for anything that logs a request, a response or an error some other way.
 */
const secretPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.body',
  'res.headers["set-cookie"]',
  'err.body',
  'err.config',
  '*.apiKey',
  '*.token',
  '*.password',
];

/** The api's one logger: JSON lines with secrets redacted, to stdout or to a stream a test reads. */
export const createApiLogger = (level: LogLevel, destination?: DestinationStream): Logger =>
  pino({ level, redact: { paths: secretPaths, censor: '[redacted]' } }, destination);

/** Action and sign-in links carry their token in the path: log the route, not the secret. */
export const withoutPathTokens = (url: string): string =>
  url.replace(/^\/(actions|signin)\/[^/?#]+/i, '/$1/[token]').replace(/([?&](?:token|key|code)=)[^&#]*/gi, '$1[redacted]');

type LoggedRequest = IncomingMessage & { principal?: { id: string }; webSession?: { principal: { id: string } } };
/** What pino's standard request serializer made of the request, which ours then trims. */
interface SerializedRequest {
  id: unknown;
  method: string;
  url: string;
  remoteAddress?: string;
}

/**
 * One line per request: id, method, the path without tokens, the client address and who was signed
 * in. Never headers (cookies, keys) and never bodies.
 */
export const requestLogging = (logger: Logger) =>
  pinoHttp<LoggedRequest, ServerResponse>({
    logger,
    genReqId: (_req, res) => {
      const id = randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: SerializedRequest) => ({ id: req.id, method: req.method, url: withoutPathTokens(String(req.url)), remoteAddress: req.remoteAddress }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (req) => {
      const principalId = req.principal?.id ?? req.webSession?.principal.id;
      return principalId ? { principalId } : {};
    },
  });
