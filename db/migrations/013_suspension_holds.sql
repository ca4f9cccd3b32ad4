-- A system stays suspended while any process holds it suspended (two incidents, a failed re-assessment);
-- it resumes when the last hold is released. The holder is the workflow that suspended it.
CREATE TABLE suspension_holds (
  system_id   uuid NOT NULL REFERENCES ai_systems (id),
  holder      text NOT NULL,
  reason      text NOT NULL,
  held_at     timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  PRIMARY KEY (system_id, holder)
);
CREATE INDEX suspension_holds_active ON suspension_holds (system_id) WHERE released_at IS NULL;

ALTER TABLE ai_systems DROP COLUMN suspended_by;
