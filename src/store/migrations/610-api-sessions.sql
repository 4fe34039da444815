-- Browser sessions (owned by src/api/auth/sessions.ts): a cookie made from a bearer token. Only the sha256
-- of the cookie's secret is stored, never the token; the token is re-checked on every use.
CREATE TABLE IF NOT EXISTS api_sessions (
  id           text PRIMARY KEY,
  secret_hash  text NOT NULL,
  token_id     text NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz
);
CREATE INDEX IF NOT EXISTS api_sessions_expires_idx ON api_sessions (expires_at);
