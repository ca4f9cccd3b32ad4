-- People sign in to the web pages with a one-time link sent by email; a session cookie carries them.
CREATE TABLE sign_in_links (
  token_hash   text PRIMARY KEY,
  principal_id text NOT NULL REFERENCES principals (id),
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);

CREATE TABLE web_sessions (
  id_hash      text PRIMARY KEY,
  principal_id text NOT NULL REFERENCES principals (id),
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_principal ON web_sessions (principal_id);
