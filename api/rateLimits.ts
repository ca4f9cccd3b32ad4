import type { RequestHandler } from 'express';
import ipaddr from 'ipaddr.js';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Pool } from '../db/pool';
import { AppError } from './errors';

/** How many requests one key may make in each window. */
export interface RateLimitSettings {
  /** Requests from one client address of whoever is not signed in (sign-in pages, email action links). */
  perAddressPerMinute: number;
  /** API and page requests of one signed-in principal, whichever address they come from. */
  perPrincipalPerMinute: number;
  /** Incident reports of one reporter: reporting is open to anyone signed in, so it is bounded per person. */
  incidentsPerReporterPerHour: number;
}

export const defaultRateLimits: RateLimitSettings = { perAddressPerMinute: 1200, perPrincipalPerMinute: 600, incidentsPerReporterPerHour: 30 };

export interface RateLimits {
  /** One count per request: the signed-in principal's, or else the client address's. */
  perClient: RequestHandler;
  /** Counts one incident report of the reporter; a 429 once over the limit. */
  countIncidentReport(reporterId: string): Promise<void>;
}

/** The client's address as a limit counts it: an IPv6 client by its /64, which one subscriber holds whole. */
export function clientNetwork(ip: string | undefined): string | undefined {
  if (!ip || !ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  return address.kind() === 'ipv6' ? `${(address as ipaddr.IPv6).toNormalizedString().split(':').slice(0, 4).join(':')}::/64` : address.toString();
}

/**
 * Limits held in PostgreSQL (rate-limiter-flexible's atomic upsert), so they hold across api
 * instances. A store that cannot be reached fails the request as the database being down would.
 */
export function createRateLimits(pool: Pool, settings: RateLimitSettings): RateLimits {
  const limiter = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({ storeClient: pool, storeType: 'pool', tableName: 'rate_limits', tableCreated: true, keyPrefix, points, duration });
  const byAddress = limiter('address', settings.perAddressPerMinute, 60);
  const byPrincipal = limiter('principal', settings.perPrincipalPerMinute, 60);
  const incidents = limiter('incidents', settings.incidentsPerReporterPerHour, 3600);

  async function consume(limit: RateLimiterPostgres, key: string, what: string): Promise<void> {
    try {
      await limit.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      throw new AppError(429, 'rate_limited', `too many ${what}; try again in ${retryAfter} s`, undefined, { 'Retry-After': String(retryAfter) });
    }
  }
  return {
    perClient: (req, _res, next) => {
      const principalId = req.principal?.id ?? req.webSession?.principal.id;
      const counted = principalId
        ? consume(byPrincipal, principalId, 'requests')
        : consume(byAddress, clientNetwork(req.ip) ?? 'unknown', 'requests from this address');
      counted.then(() => next(), next);
    },
    countIncidentReport: (reporterId) => consume(incidents, reporterId, 'incident reports in the last hour'),
  };
}
