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

/** Open tasks grouped the way /metrics reports them (an index-only scan of the open-task index). */
export async function openTaskCounts(db: Queryable): Promise<{ process: string; tier: string; escalationLevel: number; open: number; overdue: number }[]> {
  const { rows } = await db.query(
    `SELECT t.kind AS process, COALESCE(s.risk_tier, 'untriaged') AS tier, t.escalation_level AS level,
            count(*)::int AS open, (count(*) FILTER (WHERE t.due_at < now()))::int AS overdue
     FROM tasks t JOIN ai_systems s ON s.id = t.system_id
     WHERE t.status = 'open' GROUP BY 1, 2, 3`,
  );
  return rows.map((row) => ({ process: row.process, tier: row.tier, escalationLevel: row.level, open: row.open, overdue: row.overdue }));
}

export interface AuditTally {
  /** The last audit event counted, or `afterSeq` when none was appended since; the next tally starts after it. */
  throughSeq: number;
  escalations: { level: string; count: number }[];
  decisions: { process: string; choice: string; count: number }[];
  /** Tasks closed by a decision: seconds from opening to the decision, by process (task kind). */
  decidedSeconds: Record<string, number[]>;
}

/**
 * Escalations, decisions and decided tasks recorded in the audit trail after `afterSeq`, so a counter
 * fed from it reads each event once however long the history grows. Sound because the trail is
 * append-only and every append holds the chain lock until it commits: a later seq never commits before
 * an earlier one, so nothing can still appear below the last seq read here.
 */
export async function auditTallySince(db: Queryable, afterSeq: number): Promise<AuditTally> {
  const { rows } = await db.query(
    `WITH events AS (
       SELECT seq, type, data, occurred_at, task_id FROM audit_events
       WHERE seq > $1 AND type IN ('task.escalated', 'task.decided', 'task.closed')
     ),
     settled AS (
       SELECT e.type, e.data, e.occurred_at, t.kind, t.opened_at
       FROM events e JOIN tasks t ON t.id = e.task_id WHERE e.type IN ('task.decided', 'task.closed')
     )
     SELECT (SELECT max(seq) FROM events) AS through_seq,
       (SELECT COALESCE(json_agg(x), '[]') FROM (
          SELECT data->>'level' AS level, count(*)::int AS count FROM events WHERE type = 'task.escalated' GROUP BY 1) x) AS escalations,
       (SELECT COALESCE(json_agg(x), '[]') FROM (
          SELECT kind AS process, data->>'choice' AS choice, count(*)::int AS count FROM settled WHERE type = 'task.decided' GROUP BY 1, 2) x) AS decisions,
       (SELECT COALESCE(json_object_agg(process, seconds), '{}') FROM (
          SELECT kind AS process, json_agg(round(extract(epoch FROM occurred_at - opened_at), 3)) AS seconds
          FROM settled WHERE type = 'task.closed' AND data->>'status' = 'decided' GROUP BY 1) x) AS decided_seconds`,
    [afterSeq],
  );
  const row = rows[0];
  return {
    throughSeq: row.through_seq === null ? afterSeq : Number(row.through_seq),
    escalations: row.escalations,
    decisions: row.decisions,
    decidedSeconds: row.decided_seconds,
  };
}
