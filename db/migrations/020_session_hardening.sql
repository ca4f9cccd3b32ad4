-- Sessions end after a spell of idleness as well as at their limit, and each person can see theirs:
-- when and from what browser they were opened, and when they were last used.
ALTER TABLE web_sessions
  ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN last_seen_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN user_agent text;
CREATE UNIQUE INDEX web_sessions_public_id ON web_sessions (public_id);

-- A sign-in link works only in the browser that asked for it: the hash of that browser's pre-sign-in cookie.
ALTER TABLE sign_in_links ADD COLUMN browser_hash text;
