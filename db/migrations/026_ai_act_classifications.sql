-- The EU AI Act classification of each version of a system's intake, as triage made it
-- (domain/aiActClassification.ts): a record of its own, kept for every version, so that what a
-- triage decision rested on stays readable after the intake changes.
CREATE TABLE ai_act_classifications (
  system_id       uuid NOT NULL REFERENCES ai_systems (id),
  intake_version  integer NOT NULL,
  rules_version   text NOT NULL,
  in_scope        boolean NOT NULL,
  prohibited      boolean NOT NULL,
  high_risk       boolean NOT NULL,
  -- The flags, each with its citation, the answers it rests on and the date it applies from.
  classification  jsonb NOT NULL,
  classified_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system_id, intake_version)
);
