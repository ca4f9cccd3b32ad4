-- due_at stays the step's SLA deadline, so "overdue" keeps meaning past the SLA after an escalation;
-- the deadline of the current escalation level moves on its own.
ALTER TABLE tasks ADD COLUMN next_deadline_at timestamptz;
UPDATE tasks SET next_deadline_at = due_at;
ALTER TABLE tasks ALTER COLUMN next_deadline_at SET NOT NULL;
