-- The status model of every Kradle config resource (src/store/resource-status.ts): the one source of truth
-- the API of every replica reads and the /status writer projects onto custom resources. `model` holds what
-- the status is composed from, so a new leader re-composes it instead of starting blank.
CREATE TABLE IF NOT EXISTS resource_status (
  source_key  text        PRIMARY KEY,
  org         text,
  kind        text        NOT NULL,
  namespace   text        NOT NULL,
  name        text        NOT NULL,
  revision    text,
  phase       text        NOT NULL,
  ready       text        NOT NULL,
  health      text        NOT NULL,
  status      jsonb       NOT NULL,
  model       jsonb       NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS resource_status_org ON resource_status (org);
