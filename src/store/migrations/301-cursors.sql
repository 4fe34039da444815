-- Named progress markers of event consumers (src/store/cursors.ts): the last event seq a consumer has
-- handled, so it resumes there after a restart or a change of leader instead of at the newest event.
CREATE TABLE IF NOT EXISTS kradle_cursors (
  name        text PRIMARY KEY,
  seq         bigint NOT NULL CHECK (seq >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
