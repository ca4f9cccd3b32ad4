-- Audit events are append-only for every role, the table's owner and superusers included: a changed or
-- deleted row is refused by a trigger. ENABLE ALWAYS keeps it firing under session_replication_role =
-- replica; only the owner or a superuser disabling the trigger gets past it, which the hash chain then
-- shows (GET /api/v1/audit/verify).
CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only'
    USING DETAIL = format('%s on audit_events refused', TG_OP),
          HINT = 'record a correction as a new audit event';
END
$$;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only;
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_no_truncate;

-- The least-privilege role production runs the api and worker as (through a LOGIN role that is a member
-- of it): it reads and writes the application's tables but may only read and append audit events, and
-- owns nothing, so it cannot disable the trigger above. Roles are cluster-wide: an existing one is kept.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'aims_flow_app') THEN
    CREATE ROLE aims_flow_app NOLOGIN;
  END IF;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN
    NULL; -- created meanwhile by a migration of another database on the same server
  WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'the role aims_flow_app does not exist and % may not create it', current_user
      USING HINT = 'a role administrator runs CREATE ROLE aims_flow_app NOLOGIN once, then the migration again';
END
$$;

GRANT USAGE ON SCHEMA public TO aims_flow_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO aims_flow_app;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM aims_flow_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM aims_flow_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO aims_flow_app;
-- Tables later migrations create (run by the same owner) get the same rights.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO aims_flow_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO aims_flow_app;
