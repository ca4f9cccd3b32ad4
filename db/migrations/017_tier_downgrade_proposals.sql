-- A lowered tier weakens every control on a system (SLAs, chains, review interval), so one governance
-- lead proposes it and another confirms. A proposal holds for the system version it was made on.
CREATE TABLE tier_downgrade_proposals (
  system_id uuid PRIMARY KEY REFERENCES ai_systems (id),
  from_tier text NOT NULL,
  to_tier text NOT NULL,
  reason text NOT NULL,
  proposed_by text NOT NULL REFERENCES principals (id),
  system_version integer NOT NULL,
  proposed_at timestamptz NOT NULL DEFAULT now()
);
