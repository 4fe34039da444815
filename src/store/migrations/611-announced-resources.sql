-- The config resources the last applied revision declared, as their events announced them (owned by
-- src/reconcile/sync/resource-events.ts): the next pass diffs against this to publish ResourceCreated,
-- ResourceChanged and ResourceDeleted exactly once, across restarts and changes of leader.
CREATE TABLE IF NOT EXISTS announced_resources (
  key        text PRIMARY KEY,
  org        text,
  kind       text NOT NULL,
  namespace  text NOT NULL,
  name       text NOT NULL,
  hash       text NOT NULL,
  revision   text NOT NULL,
  path       text NOT NULL
);
