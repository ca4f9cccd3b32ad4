import type { RequestHandler } from 'express';
import type { Pool } from '../db/pool';
import { principalByApiKey } from '../db/principals';
import { hasAnyRole, type Principal, type Role } from '../domain/principal';
import { AppError, forbidden } from './errors';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Every /api route needs `Authorization: Bearer <api key>`; the key is looked up by its hash. */
export function authenticate(pool: Pool): RequestHandler {
  return async (req, res, next) => {
    const match = /^Bearer ([\w-]{16,200})$/.exec(req.get('authorization') ?? '');
    const principal = match ? await principalByApiKey(pool, match[1]) : undefined;
    if (!principal) {
      res.set('WWW-Authenticate', match ? 'Bearer realm="aims-flow", error="invalid_token"' : 'Bearer realm="aims-flow"');
      throw new AppError(401, 'unauthenticated', 'a valid API key is required: Authorization: Bearer <key>');
    }
    req.principal = principal;
    next();
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    if (!hasAnyRole(req.principal!, ...roles)) throw forbidden(`this needs one of the roles: ${roles.join(', ')}`);
    next();
  };
}

export { oversightRoles } from '../domain/principal';
