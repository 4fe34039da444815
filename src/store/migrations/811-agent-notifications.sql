-- §7.3 notifications (owned by src/agents/notifications/). One row per recipient; `source` names what caused it,
-- so a replayed event (a restart, a new leader) never notifies twice.
CREATE TABLE IF NOT EXISTS agent_notifications (
  id          bigserial PRIMARY KEY,
  org         text NOT NULL,
  recipient   text NOT NULL,
  type        text NOT NULL CHECK (type IN ('run-complete', 'approval-needed', 'conflict-detected', 'workspace-ready', 'system')),
  severity    text NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
  title       text NOT NULL,
  message     text NOT NULL DEFAULT '',
  resource    jsonb,
  source      text NOT NULL,
  read_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (org, recipient, type, source)
);
CREATE INDEX IF NOT EXISTS agent_notifications_inbox ON agent_notifications (org, recipient, id DESC);

CREATE TABLE IF NOT EXISTS agent_notification_preferences (
  org         text NOT NULL,
  recipient   text NOT NULL,
  -- {muted: [type, ...]}: muted types are not recorded for this recipient.
  preferences jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org, recipient)
);
