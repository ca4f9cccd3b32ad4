-- Incidents: one row per reported incident, following its workflow through the stages to closure.
CREATE TABLE incidents (
  id                     uuid PRIMARY KEY,
  system_id              uuid NOT NULL REFERENCES ai_systems (id),
  workflow_id            text NOT NULL UNIQUE,
  reporter_id            text NOT NULL REFERENCES principals (id),
  severity               text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  serious                boolean NOT NULL,
  description            text NOT NULL,
  occurred_at            timestamptz NOT NULL,
  reported_at            timestamptz NOT NULL DEFAULT now(),
  -- The stage the incident waits in; closed or cancelled once it has ended.
  stage                  text NOT NULL DEFAULT 'acknowledgement'
                         CHECK (stage IN ('acknowledgement', 'containment', 'resolution', 'closure', 'closed', 'cancelled')),
  acknowledged_at        timestamptz,
  containment            jsonb,
  contained_at           timestamptz,
  -- True when this incident's containment took the system out of service; its closure then resumes it.
  suspended_system       boolean NOT NULL DEFAULT false,
  resolution             jsonb,
  resolved_at            timestamptz,
  -- A serious incident's report to the authority, due by regulatory_report_due.
  regulatory_report_due  timestamptz,
  regulatory_report      jsonb,
  regulatory_reported_at timestamptz,
  outcome                text CHECK (outcome IN ('closed', 'closed_reassessing')),
  closed_by              text REFERENCES principals (id),
  closed_at              timestamptz
);
CREATE INDEX incidents_system ON incidents (system_id, reported_at DESC);
