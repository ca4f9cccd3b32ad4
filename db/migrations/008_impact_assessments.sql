-- Impact assessments (ISO/IEC 42005): each submitted version, bound to the hash its reviewers decide on.
CREATE TABLE impact_assessments (
  system_id    uuid NOT NULL REFERENCES ai_systems (id),
  version      integer NOT NULL,
  content      jsonb NOT NULL,
  content_hash text NOT NULL,
  submitted_by text NOT NULL REFERENCES principals (id),
  submitted_at timestamptz NOT NULL DEFAULT now(),
  outcome      text,
  impact_level text,
  decided_at   timestamptz,
  PRIMARY KEY (system_id, version)
);

ALTER TABLE ai_systems ADD COLUMN impact_level text;
