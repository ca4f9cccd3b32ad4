import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * The headers of every answer (helmet, configured): nothing is sniffed, framed or cached, no URL
 * (some carry tokens) is sent to another site in a Referer, and HSTS once the platform is served over
 * https. Pages widen the content policy to their own inline styles and forms (html.ts).
 */
export function securityHeaders(publicBaseUrl: string): RequestHandler[] {
  const overHttps = new URL(publicBaseUrl).protocol === 'https:';
  return [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"] },
      },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: overHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      xFrameOptions: { action: 'deny' },
      crossOriginResourcePolicy: { policy: 'same-origin' },
    }),
    (_req, res, next) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
  ];
}
