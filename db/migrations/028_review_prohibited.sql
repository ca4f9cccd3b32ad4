-- A review whose revised intake is a prohibited practice closes as such: the system is suspended and its retirement starts.
ALTER TABLE reviews DROP CONSTRAINT reviews_status_check;
ALTER TABLE reviews ADD CONSTRAINT reviews_status_check
  CHECK (status IN ('open', 'unchanged', 'reassessed', 'reassessment_failed', 'expired', 'deferred', 'cancelled', 'prohibited'));
