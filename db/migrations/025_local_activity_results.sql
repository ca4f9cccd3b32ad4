-- What each local activity answered, by its workflow run and its place in that run. A local
-- activity's completion reaches the history only with the workflow task that ran it: when that task
-- is lost (its worker died), the workflow runs it again, possibly after later activities of the same
-- task have changed what it reads. The rerun answers from here and does nothing (activities/index.ts).
CREATE TABLE local_activity_results (
  run_id text NOT NULL,
  activity_seq text NOT NULL,
  activity_type text NOT NULL,
  -- The arguments it ran with: a call in the same place with others (a handler run first on a retried task) is not the same call.
  args_hash text NOT NULL,
  -- JSON as text: jsonb refuses a \u0000 an answer may carry.
  result text NOT NULL,
  completed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, activity_seq)
);
CREATE INDEX local_activity_results_completed_at ON local_activity_results (completed_at);
