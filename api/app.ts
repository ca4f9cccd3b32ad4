import express from 'express';
import { authenticate } from './auth';
import { temporalDeadlinePerRequest, withTemporalDeadline, type ApiDeps } from './deps';
import { AppError, errorHandler } from './errors';
import { pageSecurityHeaders } from './html';
import { requestLogging } from './logging';
import { securityHeaders } from './securityHeaders';
import { createRateLimits, defaultRateLimits } from './rateLimits';
import { createMetrics, type ApiMetrics } from './metrics';
import { docsPage, openApiDocument } from './openapi';
import { webPages } from './pages';
import { missingSearchAttributes } from '../workflows/contracts';
import { actionRoutes } from './routes/actions';
import { dashboardRoutes, reviewRoutes, timelineRoutes } from './routes/dashboard';
import { auditRoutes } from './routes/audit';
import { evidenceRoutes } from './routes/evidence';
import { incidentRoutes } from './routes/incidents';
import { meRoutes } from './routes/me';
import { principalRoutes } from './routes/principals';
import { retirementRoutes } from './routes/retirement';
import { systemReviewRoutes } from './routes/reviews';
import { systemRoutes } from './routes/systems';
import { taskRoutes } from './routes/tasks';

/** Builds the Express app without listening, so tests run it in-process with their own deps. */
export function createApp(deps: ApiDeps, metrics: ApiMetrics = createMetrics(deps.pool)): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(metrics.observeRequests);
  app.use(temporalDeadlinePerRequest(deps));
  app.use(requestLogging(deps.logger));
  app.use(securityHeaders(deps.publicBaseUrl));

  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const namespace = deps.temporal.options.namespace;
    const [postgres, temporal] = await Promise.allSettled([
      deps.pool.query('SELECT 1'),
      withTemporalDeadline(deps, () => deps.temporal.connection.operatorService.listSearchAttributes({ namespace })),
    ]);
    // Ready only on a namespace with every search attribute the workflows set: a start without one fails.
    const missing = temporal.status === 'fulfilled' ? missingSearchAttributes(temporal.value.customAttributes ?? {}) : [];
    const checks = {
      postgres: postgres.status === 'fulfilled' ? 'up' : 'down',
      temporal: temporal.status === 'fulfilled' ? 'up' : 'down',
      namespace: temporal.status === 'rejected' ? 'unknown' : missing.length ? `missing search attributes: ${missing.join(', ')}` : 'ready',
    };
    res.status(checks.postgres === 'up' && checks.namespace === 'ready' ? 200 : 503).json(checks);
  });
  // Counted once each request knows who sent it: after the sign-in is read, by principal, else by address.
  const limits = createRateLimits(deps.pool, deps.rateLimits ?? defaultRateLimits);
  app.get('/openapi.json', (_req, res) => res.json(openApiDocument()));
  app.get('/docs', (_req, res) => res.set(pageSecurityHeaders).type('html').send(docsPage()));

  app.use('/actions', limits.perClient, actionRoutes(deps));

  const api = express.Router();
  api.use(authenticate(deps.pool));
  api.use(limits.perClient);
  api.use((req, _res, next) => {
    // A body the JSON parser would skip must not read as "every field missing"; no body needs no type.
    const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
    if (hasBody && !req.is('application/json')) throw new AppError(415, 'unsupported_media_type', 'send the request body as application/json');
    next();
  });
  api.use(express.json({ limit: '64kb', strict: true }));
  api.use('/systems', systemRoutes(deps));
  api.use('/systems', evidenceRoutes(deps));
  api.use('/systems', incidentRoutes(deps, limits));
  api.use('/audit', auditRoutes(deps));
  api.use('/systems', timelineRoutes(deps));
  api.use('/systems', retirementRoutes(deps));
  api.use('/systems', systemReviewRoutes(deps));
  api.use('/dashboard', dashboardRoutes(deps));
  api.use('/reviews', reviewRoutes(deps));
  api.use('/tasks', taskRoutes(deps));
  api.use('/me', meRoutes(deps));
  api.use('/principals', principalRoutes(deps));
  api.use(() => {
    throw new AppError(404, 'not_found', 'no such API route');
  });
  app.use('/api/v1', api);
  app.use(webPages(deps, limits));
  app.use(() => {
    throw new AppError(404, 'not_found', 'there is nothing at this address');
  });

  app.use(errorHandler(deps.logger));
  return app;
}

/**
 * The Prometheus scrape, on a listener of its own (METRICS_HOST, 127.0.0.1 by default): what it tells
 * of the governance work is for the operator's monitoring, not for whoever reaches the api.
 */
export function createMetricsApp(metrics: ApiMetrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metrics.scrape);
  return app;
}
