-- Out of office: tasks opened while a principal is away go to their delegate.
ALTER TABLE principals
  ADD COLUMN delegate_id    text REFERENCES principals (id),
  ADD COLUMN delegate_until timestamptz;

-- Sequential approval chains and snapshot binding.
ALTER TABLE tasks
  ADD COLUMN current_step    integer NOT NULL DEFAULT 0,
  ADD COLUMN step_count      integer NOT NULL DEFAULT 1,
  ADD COLUMN subject_hash    text NOT NULL DEFAULT '',
  ADD COLUMN subject_version integer NOT NULL DEFAULT 1;
CREATE INDEX tasks_open_escalation ON tasks (escalation_level) WHERE status = 'open';

ALTER TABLE task_assignees
  ADD COLUMN step         integer NOT NULL DEFAULT 0,
  ADD COLUMN on_behalf_of text REFERENCES principals (id);

-- One vote per person per version of the subject: a changed subject restarts the approvals.
ALTER TABLE decisions
  DROP CONSTRAINT decisions_task_id_actor_id_key,
  ADD COLUMN on_behalf_of  text REFERENCES principals (id),
  ADD COLUMN step          integer NOT NULL DEFAULT 0,
  ADD COLUMN snapshot_hash text NOT NULL DEFAULT '',
  ADD CONSTRAINT decisions_one_vote_per_version UNIQUE (task_id, snapshot_hash, actor_id);

-- Each step of a chain has its own rule, recorded with the step in the audit trail.
ALTER TABLE tasks DROP COLUMN rule;
