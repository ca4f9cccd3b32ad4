-- Audit events are appended only at the head and only linked to it: a new event's seq is above every
-- other, and its prev_hash is the hash of the event before it. So no row can be slipped in below the
-- head, where a walk on from a checkpoint would never look, by any role that may insert. The lock is
-- the one appendAuditEvent takes, so inserts made around it are serialised too.
ALTER TABLE audit_events ADD CONSTRAINT audit_events_seq_positive CHECK (seq > 0);

CREATE FUNCTION audit_events_require_head_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head record;
BEGIN
  PERFORM pg_advisory_xact_lock(42042002);
  SELECT seq, hash INTO head FROM audit_events ORDER BY seq DESC LIMIT 1;
  IF head.seq IS NOT NULL AND NEW.seq <= head.seq THEN
    RAISE EXCEPTION 'audit events are appended at the head of the chain'
      USING DETAIL = format('seq %s is not above the head, %s', NEW.seq, head.seq);
  END IF;
  IF NEW.prev_hash IS DISTINCT FROM coalesce(head.hash, repeat('0', 64)) THEN
    RAISE EXCEPTION 'an audit event links to the head of the chain'
      USING DETAIL = format('prev_hash of seq %s is not the hash of seq %s', NEW.seq, coalesce(head.seq, 0));
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER audit_events_linked_append BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_require_head_link();
ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_linked_append;
