-- Assistant sessions and their messages, per org (owned by src/assistant/sessions.ts). Messages hold what the
-- user and the model said, never a provider key; generated results are kept as artifacts.
CREATE TABLE IF NOT EXISTS assistant_sessions (
  org         text NOT NULL,
  id          text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, id)
);

CREATE TABLE IF NOT EXISTS assistant_messages (
  org         text NOT NULL,
  session_id  text NOT NULL,
  seq         bigserial NOT NULL,
  role        text NOT NULL,
  content     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, session_id, seq),
  FOREIGN KEY (org, session_id) REFERENCES assistant_sessions (org, id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS assistant_artifacts (
  org         text NOT NULL,
  id          text NOT NULL,
  kind        text NOT NULL,
  model       text NOT NULL,
  content     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, id)
);
