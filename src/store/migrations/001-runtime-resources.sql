-- Runtime kinds (the spec's postgres kinds): one row per kind/namespace/name.
-- resource_version comes from ONE global sequence, so it orders every write across all kinds.
CREATE SEQUENCE kradle_resource_version AS bigint;

CREATE TABLE runtime_resources (
  kind             text        NOT NULL,
  namespace        text        NOT NULL,
  name             text        NOT NULL,
  api_version      text        NOT NULL,
  uid              uuid        NOT NULL UNIQUE,
  resource_version bigint      NOT NULL,
  generation       bigint      NOT NULL DEFAULT 1,
  org              text        NOT NULL,
  labels           jsonb       NOT NULL DEFAULT '{}',
  annotations      jsonb       NOT NULL DEFAULT '{}',
  spec             jsonb       NOT NULL,
  status           jsonb       NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, namespace, name)
);

CREATE INDEX runtime_resources_labels ON runtime_resources USING gin (labels jsonb_path_ops);
CREATE INDEX runtime_resources_org ON runtime_resources (org, kind);

-- The object as clients see it. Built in SQL so a write and its event payload come from one statement.
CREATE FUNCTION kradle_resource_doc(r runtime_resources) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT jsonb_build_object(
    'apiVersion', r.api_version,
    'kind', r.kind,
    'metadata', jsonb_build_object(
      'name', r.name,
      'namespace', r.namespace,
      'uid', r.uid::text,
      'resourceVersion', r.resource_version::text,
      'generation', r.generation,
      'creationTimestamp', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'labels', r.labels,
      'annotations', r.annotations),
    'spec', r.spec,
    'status', r.status)
$$;
