-- Request counters of rate-limiter-flexible's PostgreSQL store (its own table layout), shared by every
-- api instance: one row per limit and key (a principal, an address, a reporter), expiring with its window.
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
