-- Token expiry (owned by src/api/auth/tokens.ts): a token past expires_at is refused like a revoked one.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS expires_at timestamptz;
