-- Risk treatment plans (ISO/IEC 23894): each submitted register version, bound to the hash its sign-off decides on.
CREATE TABLE risk_registers (
  system_id     uuid NOT NULL REFERENCES ai_systems (id),
  version       integer NOT NULL,
  content       jsonb NOT NULL,
  content_hash  text NOT NULL,
  residual_risk text NOT NULL,
  submitted_by  text NOT NULL REFERENCES principals (id),
  submitted_at  timestamptz NOT NULL DEFAULT now(),
  outcome       text,
  decided_at    timestamptz,
  PRIMARY KEY (system_id, version)
);

ALTER TABLE ai_systems ADD COLUMN residual_risk text;
