-- Per-run callback tokens of agent dispatch runs (owned by src/agents/run-tokens.ts). Only the sha256 is stored;
-- the token itself reaches the Job only through a Secret owned by the Job.
CREATE TABLE IF NOT EXISTS agent_run_tokens (
  org         text NOT NULL,
  run         text NOT NULL,
  token_hash  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, run)
);
