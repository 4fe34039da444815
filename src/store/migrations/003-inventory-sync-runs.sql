-- What the controller applied to the cluster, keyed by the Kradle resource and the target object.
CREATE TABLE inventory (
  source_key         text        NOT NULL,
  org                text,
  target_api_version text        NOT NULL,
  target_kind        text        NOT NULL,
  -- '' for cluster-scoped targets: a primary key column cannot be null.
  target_namespace   text        NOT NULL DEFAULT '',
  target_name        text        NOT NULL,
  revision           text        NOT NULL,
  content_hash       text        NOT NULL,
  sync_status        text        NOT NULL,
  health             text        NOT NULL,
  conditions         jsonb       NOT NULL DEFAULT '[]',
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source_key, target_api_version, target_kind, target_namespace, target_name)
);

CREATE INDEX inventory_target ON inventory (target_kind, target_namespace, target_name);
CREATE INDEX inventory_org ON inventory (org);

CREATE TABLE sync_runs (
  id          bigserial   PRIMARY KEY,
  revision    text        NOT NULL,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  outcome     text        NOT NULL DEFAULT 'Running',
  counts      jsonb       NOT NULL DEFAULT '{}',
  errors      jsonb       NOT NULL DEFAULT '[]'
);
