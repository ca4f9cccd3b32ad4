import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { auditTallySince, openTaskCounts } from '../db/dashboard';
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
 * the governance record are read from PostgreSQL when Prometheus scrapes, in two queries shared by every
 * collect callback of a scrape: open tasks grouped (an index-only scan), and the audit events appended
 * since the previous scrape, which feed the counters and the time-to-decision histogram, so a scrape
 * stays cheap however long the history grows (the first scrape of a process reads it all once). They
 * describe the shared record, so every api instance reports the same values: aggregate them with max,
 * not sum. Request durations are this process's own.
 */
export function createMetrics(pool: Pool): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // The counters and the histogram are fed by the scrape's snapshot (below); their collect waits for it.
  const escalations = new Counter({
    name: 'aims_task_escalations_total',
    help: 'Escalation levels that acted, by level, from the audit trail (task.escalated events)',
    labelNames: ['level'] as const,
    registers: [registry],
    async collect() {
      await snapshot();
    },
  });
  const decisions = new Counter({
    name: 'aims_decisions_total',
    help:
      'Decisions recorded on human tasks by process (task kind) and choice, from every channel (API, emailed link, page), ' +
      'from the audit trail (task.decided events): a retried request with the same Idempotency-Key is one decision',
    labelNames: ['process', 'choice'] as const,
    registers: [registry],
    async collect() {
      await snapshot();
    },
  });
  const timeToDecision = new Histogram({
    name: 'aims_time_to_decision_seconds',
    help: 'Time from a task opening to the decision that settled it, by process (task kind), from the audit trail (task.closed as decided)',
    labelNames: ['process'] as const,
    buckets: [60, 600, 3600, 4 * 3600, 86_400, 2 * 86_400, 5 * 86_400, 10 * 86_400, 30 * 86_400],
    registers: [registry],
    async collect() {
      await snapshot();
    },
  });

  let tallied = 0;
  /** Adds the audit events appended since the last scrape to the counters and the histogram. */
  async function tallyAuditTrail() {
    const tally = await auditTallySince(pool, tallied);
    if (tally.throughSeq <= tallied) return;
    for (const row of tally.escalations) escalations.inc({ level: row.level }, row.count);
    for (const row of tally.decisions) decisions.inc({ process: row.process, choice: row.choice }, row.count);
    for (const [process, seconds] of Object.entries(tally.decidedSeconds)) {
      for (const value of seconds) timeToDecision.observe({ process }, Math.max(0, value));
    }
    tallied = tally.throughSeq;
  }

  type Snapshot = Awaited<ReturnType<typeof openTaskCounts>>;
  let inFlight: Promise<Snapshot | undefined> | undefined;
  /** One read per scrape: every collect callback of the scrape awaits the same queries. */
  const snapshot = () =>
    (inFlight ??= Promise.all([openTaskCounts(pool), tallyAuditTrail()])
      .then(([open]) => open)
      .catch(() => undefined)
      .finally(() => setImmediate(() => (inFlight = undefined))));

  new Gauge({
    name: 'aims_metrics_database_up',
    help: '1 when this scrape read PostgreSQL; 0 when it could not (the open-task gauges are then absent and the counters keep their last values)',
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
      const open = await snapshot();
      zeroEveryProcessAndTier(this, open);
      for (const row of open ?? []) this.inc({ process: row.process, tier: row.tier }, row.open);
    },
  });

  new Gauge({
    name: 'aims_tasks_overdue',
    help: "Open human tasks past their step's SLA deadline, by process (task kind) and risk tier",
    labelNames: ['process', 'tier'] as const,
    registers: [registry],
    async collect() {
      const open = await snapshot();
      zeroEveryProcessAndTier(this, open);
      for (const row of open ?? []) this.inc({ process: row.process, tier: row.tier }, row.overdue);
    },
  });

  new Gauge({
    name: 'aims_tasks_open_by_escalation_level',
    help: 'Open human tasks by the escalation level they have reached (0: not escalated)',
    labelNames: ['level'] as const,
    registers: [registry],
    async collect() {
      const open = await snapshot();
      this.reset();
      for (const row of open ?? []) this.inc({ level: String(row.escalationLevel) }, row.open);
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
function zeroEveryProcessAndTier(gauge: Gauge<'process' | 'tier'>, open: unknown[] | undefined) {
  gauge.reset();
  if (!open) return;
  for (const process of taskKindNames) for (const tier of [...riskTiers, 'untriaged']) gauge.set({ process, tier }, 0);
}

function routePattern(baseUrl: string, path: string): string {
  const joined = `${baseUrl}${path}`;
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}
