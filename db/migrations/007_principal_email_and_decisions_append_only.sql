-- Sign-in looks a person up by email without regard to case: one principal per address, found by index.
CREATE UNIQUE INDEX principals_email_lower ON principals (lower(email));

-- Decisions are part of the governance record, like audit events: the application only adds them.
REVOKE UPDATE, DELETE, TRUNCATE ON decisions FROM aims_flow_app;
