-- Whether an outbox email left, or was not sent because its task had closed (moot): only the first kind
-- must have reached its recipient.
ALTER TABLE outbox ADD COLUMN delivery text CHECK (delivery IN ('sent', 'moot'));
