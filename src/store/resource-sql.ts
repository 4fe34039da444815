// SQL of runtime writes. Each write and its event are one statement: the CTE writes the row, appends
// the event with the object as payload, and notifies; an empty CTE (stale guard, no-op) writes no event.

const EVENT = (type: string, from: string) => `
  e AS (INSERT INTO events (org, type, kind, namespace, name, resource_version, actor, payload)
        SELECT org, '${type}', kind, namespace, name, resource_version, $actor::text, doc FROM ${from} ORDER BY resource_version
        RETURNING seq)`;

const NOTIFY = `(SELECT pg_notify($channel::text, max(seq)::text) FROM e HAVING count(*) > 0)`;

/** Replaces $actor and $channel by the next two placeholders; they are always the last two params. */
export function bind(sql: string, paramCount: number): string {
  return sql.replace(/\$actor/g, `$${paramCount + 1}`).replace(/\$channel/g, `$${paramCount + 2}`);
}

const INSERT_COLUMNS = 'kind, namespace, name, api_version, uid, resource_version, generation, org, labels, annotations, spec, status';

/** Params: $1 JSON array of rows {kind, namespace, name, api_version, org, labels, annotations, spec, status}. */
export const INSERT_MANY = `
WITH w AS (
  INSERT INTO runtime_resources AS r (${INSERT_COLUMNS})
  SELECT x.kind, x.namespace, x.name, x.api_version, gen_random_uuid(), nextval('kradle_resource_version'), 1, x.org,
         coalesce(x.labels, '{}'), coalesce(x.annotations, '{}'), x.spec, coalesce(x.status, '{}')
  FROM jsonb_to_recordset($1::jsonb) AS x(kind text, namespace text, name text, api_version text, org text,
       labels jsonb, annotations jsonb, spec jsonb, status jsonb)
  ON CONFLICT (kind, namespace, name) DO NOTHING
  RETURNING r.*, kradle_resource_doc(r) AS doc),
${EVENT('ADDED', 'w')}
SELECT w.doc, ${NOTIFY} AS notified FROM w ORDER BY w.resource_version`;

/** Params: $1 kind, $2 namespace, $3 name, $4 expected resourceVersion, $5 labels, $6 annotations, $7 spec. */
export const UPDATE = `
WITH w AS (
  UPDATE runtime_resources AS r SET
    resource_version = nextval('kradle_resource_version'),
    generation = r.generation + CASE WHEN r.spec = $7::jsonb THEN 0 ELSE 1 END,
    labels = $5::jsonb, annotations = $6::jsonb, spec = $7::jsonb, updated_at = now()
  WHERE r.kind = $1 AND r.namespace = $2 AND r.name = $3 AND r.resource_version = $4::bigint
    AND (r.labels, r.annotations, r.spec) IS DISTINCT FROM ($5::jsonb, $6::jsonb, $7::jsonb)
  RETURNING r.*, kradle_resource_doc(r) AS doc),
${EVENT('MODIFIED', 'w')}
SELECT w.doc, ${NOTIFY} AS notified FROM w`;

/** Params: $1 kind, $2 namespace, $3 name, $4 expected resourceVersion, $5 status. */
export const UPDATE_STATUS = `
WITH w AS (
  UPDATE runtime_resources AS r SET
    resource_version = nextval('kradle_resource_version'), status = $5::jsonb, updated_at = now()
  WHERE r.kind = $1 AND r.namespace = $2 AND r.name = $3 AND r.resource_version = $4::bigint
    AND r.status IS DISTINCT FROM $5::jsonb
  RETURNING r.*, kradle_resource_doc(r) AS doc),
${EVENT('MODIFIED', 'w')}
SELECT w.doc, ${NOTIFY} AS notified FROM w`;

/** Params: $1 kind, $2 namespace, $3 name, $4 expected resourceVersion or null. */
export const DELETE = `
WITH w AS (
  DELETE FROM runtime_resources AS r
  WHERE r.kind = $1 AND r.namespace = $2 AND r.name = $3 AND ($4::bigint IS NULL OR r.resource_version = $4::bigint)
  RETURNING r.*, kradle_resource_doc(r) AS doc),
${EVENT('DELETED', 'w')}
SELECT w.doc, ${NOTIFY} AS notified FROM w`;

export const SELECT_ONE = `
SELECT kradle_resource_doc(r) AS doc FROM runtime_resources AS r WHERE r.kind = $1 AND r.namespace = $2 AND r.name = $3`;
