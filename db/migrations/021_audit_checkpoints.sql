-- Signed checkpoints of the audit chain, written by the worker's background verifier: each says how far
-- the chain was found intact (or where it broke), so an evidence pack shows that without walking the
-- chain on the api. Append-only like the events they vouch for; the latest row is the one in force.
CREATE TABLE audit_checkpoints (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL,
  head_hash text NOT NULL,
  events bigint NOT NULL,
  previous_seq bigint,
  walked_from_genesis_at timestamptz NOT NULL,
  broken_link jsonb,
  checked_at timestamptz NOT NULL,
  public_key text NOT NULL,
  signature text NOT NULL
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_append_only;
ALTER TABLE audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_no_truncate;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM aims_flow_app;
