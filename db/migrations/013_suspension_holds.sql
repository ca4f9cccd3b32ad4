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

-- Suspensions taken before holds existed become holds of the workflow that took them.
INSERT INTO suspension_holds (system_id, holder, reason)
  SELECT id, coalesce(suspended_by, 'migrated'), 'suspended before suspension holds existed' FROM ai_systems WHERE state = 'suspended';

ALTER TABLE ai_systems DROP COLUMN suspended_by;

-- A re-assessment a process asked for while the system was suspended: started when the last hold is released.
ALTER TABLE ai_systems ADD COLUMN reassessment_pending text;
