-- The platform's own principal: it requests what schedules start. No role, no key: it can never sign in or decide.
INSERT INTO principals (id, email, name, roles) VALUES ('aims-flow', 'platform@aims-flow.invalid', 'aims-flow (scheduled)', '{}')
  ON CONFLICT (id) DO NOTHING;

ALTER TABLE ai_systems ADD COLUMN last_reviewed_at timestamptz;
-- The state a suspension interrupted, to which resumption returns, and the workflow that suspended it.
ALTER TABLE ai_systems ADD COLUMN suspended_from text;
ALTER TABLE ai_systems ADD COLUMN suspended_by text;

-- Periodic reviews: one row per review that opened; at most one open per system.
CREATE TABLE reviews (
  id           uuid PRIMARY KEY,
  system_id    uuid NOT NULL REFERENCES ai_systems (id),
  workflow_id  text NOT NULL UNIQUE,
  reason       text NOT NULL,
  requester_id text NOT NULL REFERENCES principals (id),
  -- active, or suspended when a failed re-assessment is being taken up again
  from_state   text NOT NULL,
  status       text NOT NULL DEFAULT 'open'
               CHECK (status IN ('open', 'unchanged', 'reassessed', 'reassessment_failed', 'expired', 'deferred')),
  attestation  jsonb,
  opened_at    timestamptz NOT NULL DEFAULT now(),
  closed_at    timestamptz
);
CREATE UNIQUE INDEX reviews_one_open_per_system ON reviews (system_id) WHERE status = 'open';

-- Accepted risks of a signed-off register, each accepted until a date and then re-accepted or lapsed.
CREATE TABLE risk_acceptances (
  system_id        uuid NOT NULL REFERENCES ai_systems (id),
  risk_id          text NOT NULL,
  register_version integer NOT NULL,
  expires_at       timestamptz NOT NULL,
  status           text NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'lapsed', 'superseded')),
  reaccepted_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (system_id, risk_id)
);
