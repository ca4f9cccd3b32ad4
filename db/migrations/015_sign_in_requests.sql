-- Sign-in link requests per address, known or not, so the rate limit answers alike for both.
CREATE TABLE sign_in_requests (
  email_hash   text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_requests_by_address ON sign_in_requests (email_hash, requested_at);
