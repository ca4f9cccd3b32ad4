-- When the organisation became aware of an incident, from which the EU AI Act Art. 73 clock runs (the
-- report's own time when it was not given), and why a serious incident is serious (Art. 3(49)) with
-- what sets its deadline (Art. 73(2)-(4)).
ALTER TABLE incidents ADD COLUMN became_aware_at timestamptz;
ALTER TABLE incidents ADD COLUMN seriousness jsonb;
