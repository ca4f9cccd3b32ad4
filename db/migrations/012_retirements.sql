-- Retirements: each request (one per run of the system's retirement workflow), its verdict, and when it ended.
CREATE TABLE retirements (
  id              uuid PRIMARY KEY,
  system_id       uuid NOT NULL REFERENCES ai_systems (id),
  workflow_id     text NOT NULL,
  requester_id    text NOT NULL REFERENCES principals (id),
  reason          text NOT NULL,
  retire_on       date NOT NULL,
  request_hash    text NOT NULL,
  status          text NOT NULL DEFAULT 'requested'
                  CHECK (status IN ('requested', 'rejected', 'withdrawn', 'expired', 'retiring', 'retired')),
  status_reason   text,
  checklist_round integer NOT NULL DEFAULT 0,
  requested_at    timestamptz NOT NULL DEFAULT now(),
  decided_at      timestamptz,
  retired_at      timestamptz
);
CREATE INDEX retirements_system ON retirements (system_id, requested_at DESC);

-- The checklist of a retirement, per round (a sign-off asking for changes opens a new one): each item's
-- current task (a new one when it reopened for the governance leads) and the evidence it was done with.
CREATE TABLE retirement_checklist (
  retirement_id uuid NOT NULL REFERENCES retirements (id),
  round         integer NOT NULL,
  item          text NOT NULL,
  task_id       uuid NOT NULL,
  reopened      integer NOT NULL DEFAULT 0,
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  evidence      text,
  done_by       text REFERENCES principals (id),
  done_at       timestamptz,
  PRIMARY KEY (retirement_id, round, item)
);
