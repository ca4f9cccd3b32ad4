-- Indexes of the oversight read models (db/dashboard.ts), chosen with EXPLAIN ANALYZE at 10,000 systems
-- and 100,000 tasks (bench/overdueDashboard.bench.test.ts).

-- Open tasks in due order, carrying what the overdue page and the open-task metrics group by, so both
-- read the index alone (index-only scans). Replaces the plain (due_at) index; the id breaks ties for
-- the keyset pages.
DROP INDEX tasks_open_due;
CREATE INDEX tasks_open_by_due ON tasks (due_at, id) INCLUDE (kind, escalation_level, system_id) WHERE status = 'open';

-- Breaches of a period: tasks whose SLA deadline passed while they were open.
CREATE INDEX tasks_breached_by_due ON tasks (due_at) WHERE closed_at IS NULL OR closed_at > due_at;

-- Escalations of a period.
CREATE INDEX audit_events_escalated_at ON audit_events (occurred_at) WHERE type = 'task.escalated';

-- Filters by business unit: a small unit's systems first, then their tasks (tasks_system).
CREATE INDEX ai_systems_business_unit ON ai_systems (business_unit);

-- Reviews due and overdue.
CREATE INDEX ai_systems_next_review ON ai_systems (next_review_due) WHERE next_review_due IS NOT NULL;
