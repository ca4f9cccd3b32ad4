import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { operationalSnapshot, timeToDecisionWindowDays, type OperationalSnapshot } from '../db/dashboard';
import type { Pool } from '../db/pool';
import { riskTiers } from '../domain/system';
import { taskKindNames } from '../domain/task';

export interface ApiMetrics {
  registry: Registry;
  /** Times every request, labelled by the route pattern that answered it. */
  observeRequests: RequestHandler;
  /** GET /metrics: Prometheus text. */
  scrape: RequestHandler;
}

/**
 * One registry per app instance, so several apps in one process (tests) never collide. Figures about
 * the governance record are read from PostgreSQL when Prometheus scrapes, in two grouped queries shared
 * by every metric of the scrape; they are the same on every api instance (aggregate them with max, not
 * sum). Request durations are this process's own.
 */
export function createMetrics(pool: Pool): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  let inFlight: Promise<OperationalSnapshot | undefined> | undefined;
  /** One snapshot per scrape: every collect callback of the scrape awaits the same queries. */
  const snapshot = () =>
    (inFlight ??= operationalSnapshot(pool)
      .catch(() => undefined)
      .finally(() => setImmediate(() => (inFlight = undefined))));

  new Gauge({
    name: 'aims_metrics_database_up',
    help: '1 when the figures read from PostgreSQL in this scrape are current, 0 when PostgreSQL could not be read (they are then absent)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });

  new Gauge({
    name: 'aims_tasks_open',
    help: 'Open human tasks by process (task kind) and risk tier of their AI system',
    labelNames: ['process', 'tier'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      zeroEveryProcessAndTier(this, current);
      for (const row of current?.openTasks ?? []) this.inc({ process: row.process, tier: row.tier }, row.open);
    },
  });

  new Gauge({
    name: 'aims_tasks_overdue',
    help: "Open human tasks past their step's SLA deadline, by process (task kind) and risk tier",
    labelNames: ['process', 'tier'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      zeroEveryProcessAndTier(this, current);
      for (const row of current?.openTasks ?? []) this.inc({ process: row.process, tier: row.tier }, row.overdue);
    },
  });

  new Gauge({
    name: 'aims_tasks_open_by_escalation_level',
    help: 'Open human tasks by the escalation level they have reached (0: not escalated)',
    labelNames: ['level'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      this.reset();
      for (const row of current?.openTasks ?? []) this.inc({ level: String(row.escalationLevel) }, row.open);
    },
  });

  new Counter({
    name: 'aims_task_escalations_total',
    help: 'Escalation levels that acted, by level, counted from the audit trail (task.escalated events)',
    labelNames: ['level'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      this.reset();
      for (const row of current?.escalationsByLevel ?? []) this.inc({ level: row.level }, row.count);
    },
  });

  new Counter({
    name: 'aims_decisions_total',
    help:
      'Decisions recorded on human tasks by process (task kind) and choice, from every channel (API, emailed link, page); ' +
      'counted from the decisions table, where a retried request with the same Idempotency-Key is one row',
    labelNames: ['process', 'choice'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      this.reset();
      for (const row of current?.decisions ?? []) this.inc({ process: row.process, choice: row.choice }, row.count);
    },
  });

  new Gauge({
    name: 'aims_time_to_decision_seconds',
    help: `Time from a task opening to its being decided, quantiles over the tasks decided in the last ${timeToDecisionWindowDays} days, by process (task kind)`,
    labelNames: ['process', 'quantile'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      this.reset();
      for (const row of current?.timeToDecision ?? []) {
        this.set({ process: row.process, quantile: '0.5' }, row.p50);
        this.set({ process: row.process, quantile: '0.9' }, row.p90);
        this.set({ process: row.process, quantile: '0.99' }, row.p99);
      }
    },
  });

  new Gauge({
    name: 'aims_tasks_decided_recently',
    help: `Tasks decided in the last ${timeToDecisionWindowDays} days (the population of aims_time_to_decision_seconds), by process`,
    labelNames: ['process'] as const,
    registers: [registry],
    async collect() {
      const current = await snapshot();
      this.reset();
      for (const row of current?.timeToDecision ?? []) this.set({ process: row.process }, row.count);
    },
  });

  const requestDuration = new Histogram({
    name: 'aims_http_request_duration_seconds',
    help: 'API request durations by method, route pattern (never the raw URL: links carry tokens) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const observeRequests: RequestHandler = (req, res, next) => {
    const stop = requestDuration.startTimer();
    let route = 'unmatched';
    let matched: unknown;
    // Express sets req.route when a route matches, with req.baseUrl then holding the router's mount
    // path; an error leaving the router restores baseUrl, so the pattern is captured at that moment.
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => matched,
      set(value: { path?: unknown } | undefined) {
        matched = value;
        if (value && typeof value.path === 'string') route = routePattern(req.baseUrl, value.path);
      },
    });
    res.once('finish', () => stop({ method: req.method, route, status: String(res.statusCode) }));
    next();
  };

  const scrape: RequestHandler = async (_req, res) => {
    const body = await registry.metrics();
    res.type(registry.contentType).send(body);
  };

  return { registry, observeRequests, scrape };
}

/** Every known process and tier shows, at 0 when nothing is open, so an alert on it never sees a missing series. */
function zeroEveryProcessAndTier(gauge: Gauge<'process' | 'tier'>, current: OperationalSnapshot | undefined) {
  gauge.reset();
  if (!current) return;
  for (const process of taskKindNames) for (const tier of [...riskTiers, 'untriaged']) gauge.set({ process, tier }, 0);
}

function routePattern(baseUrl: string, path: string): string {
  const joined = `${baseUrl}${path}`;
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}
