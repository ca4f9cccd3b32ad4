-- A re-sent email's token replaces the one before it, which then says so; the old lifetime of a year
-- past the due date is cut back to the task: its tokens end shortly after it closes.
ALTER TABLE action_tokens ADD COLUMN superseded_at timestamptz;
UPDATE action_tokens SET expires_at = LEAST(expires_at, t.closed_at + interval '15 minutes')
  FROM tasks t WHERE t.id = action_tokens.task_id AND t.closed_at IS NOT NULL;
