-- A process cancelled under its system (a retirement) closes its record as cancelled, keeping what was decided.
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
  CHECK (status IN ('open', 'unchanged', 'reassessed', 'reassessment_failed', 'expired', 'deferred', 'cancelled'));

-- Records that earlier code left open under retired systems.
UPDATE reviews SET status = 'cancelled', closed_at = now()
  WHERE status = 'open' AND system_id IN (SELECT id FROM ai_systems WHERE state = 'retired');
UPDATE ai_systems SET next_review_due = NULL WHERE state = 'retired';
UPDATE incidents SET stage = 'cancelled'
  WHERE stage NOT IN ('closed', 'cancelled') AND system_id IN (SELECT id FROM ai_systems WHERE state = 'retired');
UPDATE impact_assessments SET outcome = 'cancelled', decided_at = now()
  WHERE outcome IS NULL AND system_id IN (SELECT id FROM ai_systems WHERE state = 'retired');
UPDATE risk_registers SET outcome = 'cancelled', decided_at = now()
  WHERE outcome IS NULL AND system_id IN (SELECT id FROM ai_systems WHERE state = 'retired');
