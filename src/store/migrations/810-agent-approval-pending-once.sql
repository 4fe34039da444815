-- §9.3: one pending AgentApproval per dispatch run and action. Two concurrent requests cannot both insert one:
-- the second fails on this index and reads the first (src/agents/approvals.ts). A decided approval leaves the
-- index, so a later request for the same action opens a new one.
CREATE UNIQUE INDEX IF NOT EXISTS agent_approval_pending_once ON runtime_resources (org, (spec->>'dispatchRun'), (spec->>'action'))
  WHERE kind = 'AgentApproval' AND coalesce(status->>'phase', 'Pending') = 'Pending';
