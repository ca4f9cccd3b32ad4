CREATE TABLE principals (
  id             text PRIMARY KEY,
  email          text NOT NULL UNIQUE,
  name           text NOT NULL,
  roles          text[] NOT NULL,
  manager_id     text REFERENCES principals (id),
  api_key_hash   text UNIQUE,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ai_systems (
  id              uuid PRIMARY KEY,
  name            text NOT NULL,
  owner_id        text NOT NULL REFERENCES principals (id),
  business_unit   text NOT NULL,
  intake          jsonb NOT NULL,
  state           text NOT NULL,
  risk_tier       text,
  triage_rule     text,
  triage_reason   text,
  next_review_due timestamptz,
  policy_version  text NOT NULL,
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ai_systems_owner ON ai_systems (owner_id);

CREATE TABLE tasks (
  id               uuid PRIMARY KEY,
  system_id        uuid NOT NULL REFERENCES ai_systems (id),
  kind             text NOT NULL,
  title            text NOT NULL,
  workflow_id      text NOT NULL,
  requester_id     text NOT NULL REFERENCES principals (id),
  rule             jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'open',
  due_at           timestamptz NOT NULL,
  escalation_level integer NOT NULL DEFAULT 0,
  reminders_sent   integer NOT NULL DEFAULT 0,
  outcome          text,
  policy_version   text NOT NULL,
  opened_at        timestamptz NOT NULL DEFAULT now(),
  closed_at        timestamptz
);
CREATE INDEX tasks_system ON tasks (system_id);
CREATE INDEX tasks_open_due ON tasks (due_at) WHERE status = 'open';

CREATE TABLE task_assignees (
  task_id      uuid NOT NULL REFERENCES tasks (id),
  principal_id text NOT NULL REFERENCES principals (id),
  -- 0 for the assignees the task opened with, n for those added by escalation level n
  added_at_level integer NOT NULL DEFAULT 0,
  added_at     timestamptz NOT NULL DEFAULT now(),
  -- false once a reassignment took the task away from this principal
  active       boolean NOT NULL DEFAULT true,
  PRIMARY KEY (task_id, principal_id)
);
CREATE INDEX task_assignees_principal ON task_assignees (principal_id);

CREATE TABLE decisions (
  task_id    uuid NOT NULL REFERENCES tasks (id),
  update_id  text NOT NULL,
  actor_id   text NOT NULL REFERENCES principals (id),
  choice     text NOT NULL,
  comment    text,
  submission jsonb,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (task_id, update_id),
  UNIQUE (task_id, actor_id)
);

-- Append-only and hash-chained: hash = sha256(prev_hash || canonical(event)).
CREATE TABLE audit_events (
  seq         bigserial PRIMARY KEY,
  event_key   text NOT NULL UNIQUE,
  system_id   uuid,
  task_id     uuid,
  actor_id    text,
  type        text NOT NULL,
  data        jsonb NOT NULL,
  occurred_at timestamptz NOT NULL,
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE INDEX audit_events_system ON audit_events (system_id, seq);
CREATE INDEX audit_events_task ON audit_events (task_id, seq);

-- One row per email that must go out; the key makes a retried activity find, not repeat, it.
CREATE TABLE outbox (
  key          text PRIMARY KEY,
  task_id      uuid REFERENCES tasks (id),
  recipient_id text NOT NULL REFERENCES principals (id),
  kind         text NOT NULL,
  message_id   text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz
);

CREATE TABLE action_tokens (
  token_hash   text PRIMARY KEY,
  outbox_key   text NOT NULL REFERENCES outbox (key),
  task_id      uuid NOT NULL REFERENCES tasks (id),
  principal_id text NOT NULL REFERENCES principals (id),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX action_tokens_task ON action_tokens (task_id, principal_id);
