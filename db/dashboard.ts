import type { RiskTier } from '../domain/system';
import type { TaskKind } from '../domain/task';
import type { Queryable } from './pool';

/** Read models for oversight: what is late, who holds it, and how the organisation's systems stand. */

export interface TaskHolder {
  principalId: string;
  name: string;
  /** Set when the holder sits in for someone (a delegate). */
  onBehalfOf: string | null;
  /** 0 for the seats the step opened with, n for those an escalation level n added. */
  addedAtLevel: number;
}

export interface OverdueTask {
  taskId: string;
  title: string;
  /** The task kind, i.e. the step of a lifecycle process (e.g. intake_triage). */
  process: TaskKind;
  systemId: string;
  systemName: string;
  systemState: string;
  tier: RiskTier | null;
  businessUnit: string;
  /** The SLA deadline of the current step. */
  dueAt: string;
  secondsOverdue: number;
  escalationLevel: number;
  /** When the next escalation level (or the timeout outcome) acts. */
  nextDeadlineAt: string;
  openedAt: string;
  holders: TaskHolder[];
}

/** Where the previous page ended: the exact due time (as PostgreSQL prints it, microseconds kept) and the task id. */
export interface OverdueCursor {
  dueAt: string;
  taskId: string;
}

export interface OverdueFilter {
  businessUnit?: string;
  tier?: RiskTier;
  process?: TaskKind;
  limit: number;
  after?: OverdueCursor;
}

/**
 * Open tasks past their SLA, most overdue first, a page at a time (keyset on due time and id, so a task
 * closing between pages never shifts the next one). Holders are looked up for the page only.
 */
export async function overdueTasks(db: Queryable, filter: OverdueFilter): Promise<{ tasks: OverdueTask[]; next: OverdueCursor | null }> {
  const { rows } = await db.query(
    `WITH page AS (
       SELECT t.id, t.kind, t.title, t.due_at, to_char(t.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS due_at_key, t.next_deadline_at, t.escalation_level, t.opened_at,
              floor(extract(epoch FROM now() - t.due_at))::bigint AS seconds_overdue,
              s.id AS system_id, s.name AS system_name, s.state AS system_state, s.risk_tier, s.business_unit
       FROM tasks t JOIN ai_systems s ON s.id = t.system_id
       WHERE t.status = 'open' AND t.due_at < now()
         AND ($1::text IS NULL OR s.business_unit = $1)
         AND ($2::text IS NULL OR s.risk_tier = $2)
         AND ($3::text IS NULL OR t.kind = $3)
         AND ($4::timestamptz IS NULL OR (t.due_at, t.id) > ($4::timestamptz, $5::uuid))
       ORDER BY t.due_at, t.id
       LIMIT $6
     )
     SELECT page.*, COALESCE(holders.list, '[]') AS holders
     FROM page LEFT JOIN LATERAL (
       SELECT json_agg(json_build_object('principalId', a.principal_id, 'name', p.name, 'onBehalfOf', a.on_behalf_of,
                'addedAtLevel', a.added_at_level) ORDER BY a.added_at, a.principal_id) AS list
       FROM task_assignees a JOIN principals p ON p.id = a.principal_id
       WHERE a.task_id = page.id AND a.active
     ) holders ON true
     ORDER BY page.due_at, page.id`,
    [filter.businessUnit ?? null, filter.tier ?? null, filter.process ?? null, filter.after?.dueAt ?? null, filter.after?.taskId ?? null, filter.limit + 1],
  );
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  const last = page[page.length - 1];
  return {
    tasks: page.map((row) => ({
      taskId: row.id,
      title: row.title,
      process: row.kind,
      systemId: row.system_id,
      systemName: row.system_name,
      systemState: row.system_state,
      tier: row.risk_tier,
      businessUnit: row.business_unit,
      dueAt: row.due_at.toISOString(),
      secondsOverdue: Number(row.seconds_overdue),
      escalationLevel: row.escalation_level,
      nextDeadlineAt: row.next_deadline_at.toISOString(),
      openedAt: row.opened_at.toISOString(),
      holders: row.holders,
    })),
    next: more ? { dueAt: last.due_at_key, taskId: last.id } : null,
  };
}

export interface OversightSummary {
  systems: {
    total: number;
    byState: Record<string, number>;
    byTier: Record<string, number>;
    byStateAndTier: { state: string; tier: RiskTier | null; count: number }[];
  };
  tasks: { open: number; overdue: number; overdueByEscalationLevel: Record<string, number> };
  period: {
    since: string;
    until: string;
    /** Escalation levels that acted in the period (audit events task.escalated). */
    escalations: number;
    /** Tasks whose current SLA deadline fell in the period while they were still open. */
    breaches: number;
  };
}

/** The counts of the dashboard's head, in one round trip. */
export async function oversightSummary(db: Queryable, since: Date): Promise<OversightSummary> {
  const { rows } = await db.query(
    `SELECT now() AS until,
       (SELECT COALESCE(json_agg(x), '[]') FROM (
          SELECT state, risk_tier AS tier, count(*)::int AS count FROM ai_systems GROUP BY 1, 2 ORDER BY 1, 2) x) AS systems,
       (SELECT count(*)::int FROM tasks WHERE status = 'open') AS open_tasks,
       (SELECT COALESCE(json_object_agg(level, count), '{}') FROM (
          SELECT escalation_level AS level, count(*)::int AS count FROM tasks
          WHERE status = 'open' AND due_at < now() GROUP BY 1) x) AS overdue_by_level,
       (SELECT count(*)::int FROM audit_events WHERE type = 'task.escalated' AND occurred_at >= $1) AS escalations,
       (SELECT count(*)::int FROM tasks WHERE due_at >= $1 AND due_at < now() AND (closed_at IS NULL OR closed_at > due_at)) AS breaches`,
    [since],
  );
  const row = rows[0];
  const byStateAndTier: OversightSummary['systems']['byStateAndTier'] = row.systems;
  const tally = (key: (entry: (typeof byStateAndTier)[number]) => string) => {
    const counts: Record<string, number> = {};
    for (const entry of byStateAndTier) counts[key(entry)] = (counts[key(entry)] ?? 0) + entry.count;
    return counts;
  };
  const overdueByEscalationLevel: Record<string, number> = row.overdue_by_level;
  return {
    systems: {
      total: byStateAndTier.reduce((sum, entry) => sum + entry.count, 0),
      byState: tally((entry) => entry.state),
      byTier: tally((entry) => entry.tier ?? 'untriaged'),
      byStateAndTier,
    },
    tasks: {
      open: row.open_tasks,
      overdue: Object.values(overdueByEscalationLevel).reduce((sum, count) => sum + count, 0),
      overdueByEscalationLevel,
    },
    period: { since: since.toISOString(), until: row.until.toISOString(), escalations: row.escalations, breaches: row.breaches },
  };
}

export interface ReviewDue {
  systemId: string;
  name: string;
  state: string;
  tier: RiskTier | null;
  businessUnit: string;
  ownerId: string;
  nextReviewDue: string;
}

/** States in which a system is no longer reviewed. */
const unreviewedStates = ['rejected', 'withdrawn', 'retired'];

/** Systems whose periodic review is overdue, and those due before `until`, soonest first. */
export async function reviewsDue(
  db: Queryable,
  filter: { until: Date; businessUnit?: string; tier?: RiskTier; limit: number },
): Promise<{ overdue: ReviewDue[]; upcoming: ReviewDue[] }> {
  const { rows } = await db.query(
    `SELECT id, name, state, risk_tier, business_unit, owner_id, next_review_due, next_review_due < now() AS overdue
     FROM ai_systems
     WHERE next_review_due IS NOT NULL AND next_review_due < $1 AND state <> ALL ($2::text[])
       AND ($3::text IS NULL OR business_unit = $3) AND ($4::text IS NULL OR risk_tier = $4)
     ORDER BY next_review_due, id LIMIT $5`,
    [filter.until, unreviewedStates, filter.businessUnit ?? null, filter.tier ?? null, filter.limit],
  );
  const reviews = rows.map((row) => ({
    review: {
      systemId: row.id,
      name: row.name,
      state: row.state,
      tier: row.risk_tier,
      businessUnit: row.business_unit,
      ownerId: row.owner_id,
      nextReviewDue: row.next_review_due.toISOString(),
    },
    overdue: row.overdue as boolean,
  }));
  return {
    overdue: reviews.filter((entry) => entry.overdue).map((entry) => entry.review),
    upcoming: reviews.filter((entry) => !entry.overdue).map((entry) => entry.review),
  };
}

/** What /metrics reports from the record, computed at scrape time in two grouped queries. */
export interface OperationalSnapshot {
  openTasks: { process: string; tier: string; escalationLevel: number; open: number; overdue: number }[];
  escalationsByLevel: { level: string; count: number }[];
  decisions: { process: string; choice: string; count: number }[];
  /** Opened to decided, over tasks decided in the window. */
  timeToDecision: { process: string; count: number; p50: number; p90: number; p99: number }[];
}

export const timeToDecisionWindowDays = 30;

export async function operationalSnapshot(db: Queryable): Promise<OperationalSnapshot> {
  const [open, history] = await Promise.all([
    db.query(
      `SELECT t.kind AS process, COALESCE(s.risk_tier, 'untriaged') AS tier, t.escalation_level AS level,
              count(*)::int AS open, (count(*) FILTER (WHERE t.due_at < now()))::int AS overdue
       FROM tasks t JOIN ai_systems s ON s.id = t.system_id
       WHERE t.status = 'open' GROUP BY 1, 2, 3`,
    ),
    db.query(
      `SELECT
         (SELECT COALESCE(json_agg(x), '[]') FROM (
            SELECT data->>'level' AS level, count(*)::int AS count FROM audit_events WHERE type = 'task.escalated' GROUP BY 1) x) AS escalations,
         (SELECT COALESCE(json_agg(x), '[]') FROM (
            SELECT t.kind AS process, d.choice, count(*)::int AS count FROM decisions d JOIN tasks t ON t.id = d.task_id GROUP BY 1, 2) x) AS decisions,
         (SELECT COALESCE(json_agg(x), '[]') FROM (
            SELECT kind AS process, count(*)::int AS count,
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at)) AS p50,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at)) AS p90,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at)) AS p99
            FROM tasks WHERE status = 'decided' AND closed_at >= now() - make_interval(days => $1) GROUP BY 1) x) AS latency`,
      [timeToDecisionWindowDays],
    ),
  ]);
  const row = history.rows[0];
  return {
    openTasks: open.rows.map((r) => ({ process: r.process, tier: r.tier, escalationLevel: r.level, open: r.open, overdue: r.overdue })),
    escalationsByLevel: row.escalations,
    decisions: row.decisions,
    timeToDecision: row.latency,
  };
}
