-- Only the background verifier writes checkpoints, under a role of its own: whoever holds the
-- application's login (the api's) may read them but neither write one nor fill the table with rows
-- that push the verifier's own out of sight. Created like aims_flow_app (migration 004).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aims_flow_verifier') THEN
    CREATE ROLE aims_flow_verifier NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN
    NULL;
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'the role aims_flow_verifier does not exist and % may not create it', current_user
      USING HINT = 'a role administrator runs CREATE ROLE aims_flow_verifier NOLOGIN once, then the migration again';
END
$$;

GRANT USAGE ON SCHEMA public TO aims_flow_verifier;
GRANT SELECT ON audit_events TO aims_flow_verifier;
GRANT SELECT, INSERT ON audit_checkpoints TO aims_flow_verifier;
GRANT USAGE ON SEQUENCE audit_checkpoints_id_seq TO aims_flow_verifier;
REVOKE INSERT ON audit_checkpoints FROM aims_flow_app;

-- An event's seq always comes from the sequence: an insert naming one far above the head would stop
-- every later append.
REVOKE INSERT ON audit_events FROM aims_flow_app;
GRANT INSERT (event_key, system_id, task_id, actor_id, type, data, occurred_at, prev_hash, hash) ON audit_events TO aims_flow_app;

-- One event links to each: a second insert made from an old snapshot of the head cannot fork the chain.
CREATE UNIQUE INDEX audit_events_one_successor ON audit_events (prev_hash);

ALTER TABLE audit_checkpoints
  ADD CONSTRAINT audit_checkpoints_finite_times CHECK (isfinite(checked_at) AND isfinite(walked_from_genesis_at));
