import { Router } from 'express';
import { z } from 'zod';
import { auditTrail } from '../../db/audit';
import { oversightSummary, overdueTasks, reviewsDue, type OverdueCursor } from '../../db/dashboard';
import { principalsByIds } from '../../db/principals';
import { text } from '../../domain/fields';
import { riskTiers } from '../../domain/system';
import { taskKindNames } from '../../domain/task';
import { describeAuditEvent } from '../../domain/timeline';
import { visibleSystem } from '../access';
import { oversightRoles, requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { AppError } from '../errors';
import { parseQuery } from '../validate';

const businessUnit = text(200);

export const overdueQuery = z.strictObject({
  businessUnit: businessUnit.optional(),
  tier: z.enum(riskTiers).optional(),
  /** The task kind, e.g. intake_triage. */
  process: z.enum(taskKindNames).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** The nextCursor of the previous page. */
  cursor: z.string().max(300).optional(),
});

export const summaryQuery = z.strictObject({
  /** Start of the period for escalations and breaches; defaults to the start of the current month (UTC). */
  since: z.union([z.iso.date(), z.iso.datetime({ offset: true })]).optional(),
});

export const upcomingReviewsQuery = z.strictObject({
  /** The window ahead, in days, e.g. 30d (at most 366d). */
  within: z
    .string()
    .regex(/^[1-9]\d{0,2}d$/, 'must be a number of days such as 30d')
    .refine((within) => Number.parseInt(within, 10) <= 366, 'must be at most 366d')
    .default('30d'),
  businessUnit: businessUnit.optional(),
  tier: z.enum(riskTiers).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const timelineQuery = z.strictObject({});

const cursorSchema = z.tuple([z.iso.datetime(), z.uuid()]);

const encodeCursor = (cursor: OverdueCursor) => Buffer.from(JSON.stringify([cursor.dueAt, cursor.taskId])).toString('base64url');

function decodeCursor(raw: string): OverdueCursor {
  try {
    const [dueAt, taskId] = cursorSchema.parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return { dueAt, taskId };
  } catch {
    throw new AppError(400, 'invalid_input', 'the request query is invalid', { cursor: ['must be the nextCursor of a previous page'] });
  }
}

const startOfMonth = (now: Date) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));

/** GET /api/v1/dashboard/*: what is late and who holds it, and the counts of the dashboard's head. Oversight roles only. */
export function dashboardRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireRole(...oversightRoles));

  router.get('/overdue', async (req, res) => {
    const query = parseQuery(overdueQuery, req);
    const page = await overdueTasks(deps.pool, { ...query, after: query.cursor === undefined ? undefined : decodeCursor(query.cursor) });
    const nextCursor = page.next && encodeCursor(page.next);
    const nextQuery = nextCursor && new URLSearchParams({ ...stringEntries(query), cursor: nextCursor });
    res.json({
      tasks: page.tasks.map((task) => ({ ...task, links: { task: `/api/v1/tasks/${task.taskId}`, system: `/api/v1/systems/${task.systemId}` } })),
      nextCursor,
      links: { next: nextQuery ? `/api/v1/dashboard/overdue?${nextQuery}` : null },
    });
  });

  router.get('/summary', async (req, res) => {
    const query = parseQuery(summaryQuery, req);
    const since = query.since ? new Date(query.since) : startOfMonth(new Date());
    res.json(await oversightSummary(deps.pool, since));
  });

  return router;
}

/** GET /api/v1/reviews/upcoming: periodic reviews overdue and due within the window. Oversight roles only. */
export function reviewRoutes(deps: ApiDeps): Router {
  const router = Router();
  router.use(requireRole(...oversightRoles));

  router.get('/upcoming', async (req, res) => {
    const query = parseQuery(upcomingReviewsQuery, req);
    const until = new Date(Date.now() + Number.parseInt(query.within, 10) * 86_400_000);
    const reviews = await reviewsDue(deps.pool, { ...query, until });
    res.json({ within: query.within, until: until.toISOString(), ...reviews });
  });

  return router;
}

/** GET /api/v1/systems/:id/timeline: the system's audit events in order, for whoever may see the system. */
export function timelineRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/:id/timeline', async (req, res) => {
    parseQuery(timelineQuery, req);
    const system = await visibleSystem(deps.pool, req);
    const events = await auditTrail(deps.pool, { systemId: system.id });
    const actorIds = [...new Set(events.map((event) => event.actorId).filter((actorId): actorId is string => actorId !== null))];
    const names = new Map((await principalsByIds(deps.pool, actorIds)).map((principal) => [principal.id, principal.name]));
    res.json({
      systemId: system.id,
      events: events.map((event) => ({
        seq: event.seq,
        type: event.type,
        occurredAt: event.occurredAt,
        actor: event.actorId === null ? null : { id: event.actorId, name: names.get(event.actorId) ?? null },
        taskId: event.taskId,
        data: event.data,
        summary: describeAuditEvent(event),
      })),
    });
  });

  return router;
}

function stringEntries(query: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(query)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
}
