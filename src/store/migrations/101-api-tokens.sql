-- API bearer tokens (owned by src/api/auth/tokens.ts). Only the sha256 of a token is stored.
CREATE TABLE IF NOT EXISTS api_tokens (
  id          text PRIMARY KEY,
  token_hash  text NOT NULL,
  org         text NOT NULL,
  role        text NOT NULL CHECK (role IN ('admin', 'writer', 'reader')),
  subject     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked     boolean NOT NULL DEFAULT false,
  revoked_at  timestamptz
);
CREATE INDEX IF NOT EXISTS api_tokens_org_idx ON api_tokens (org);
