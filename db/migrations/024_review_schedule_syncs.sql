-- The policy versions every review schedule was brought to: a worker starting under one of them has
-- nothing to sync, instead of describing every system's schedule on each start.
CREATE TABLE review_schedule_syncs (
  policy_version text PRIMARY KEY,
  synced_at timestamptz NOT NULL DEFAULT now()
);
