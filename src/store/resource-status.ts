import { batches } from './batches.ts';
import { iso } from './rows.ts';
import type { ResourceStatusRecord, ResourceStatuses } from './types.ts';
import type { WriteScope } from './write-scope.ts';

interface Row {
  source_key: string;
  org: string | null;
  kind: string;
  namespace: string;
  name: string;
  revision: string | null;
  phase: string;
  ready: ResourceStatusRecord['ready'];
  health: ResourceStatusRecord['health'];
  status: Record<string, unknown>;
  model: Record<string, unknown>;
  updated_at: unknown;
}

const toRecord = (r: Row): ResourceStatusRecord => ({
  sourceKey: r.source_key, org: r.org, kind: r.kind, namespace: r.namespace, name: r.name, revision: r.revision,
  phase: r.phase, ready: r.ready, health: r.health, status: r.status, model: r.model, updatedAt: iso(r.updated_at),
});

/** The event every status change publishes: what a dashboard needs without reading the status again. */
export const STATUS_CHANGED = 'ResourceStatusChanged';

/**
 * The persisted status model, one row per Kradle resource. A save writes the rows and publishes one
 * ResourceStatusChanged event per row in the same transaction (under the event lock), so a reader that
 * sees the event also sees the status, and no status change goes without its event.
 */
export function createResourceStatuses(scope: WriteScope): ResourceStatuses {
  return {
    async get(sourceKey) {
      const [row] = await scope.read.query<Row>('SELECT * FROM resource_status WHERE source_key = $1', [sourceKey]);
      return row && toRecord(row);
    },
    async list(filter = {}) {
      const params: unknown[] = [];
      const where = filter.org === undefined ? '' : `WHERE org = $${params.push(filter.org)}`;
      return (await scope.read.query<Row>(`SELECT * FROM resource_status ${where} ORDER BY source_key`, params)).map(toRecord);
    },
    async save(records) {
      const byKey = new Map(records.map((r) => [r.sourceKey, r]));
      if (!byKey.size) return;
      const rows = [...byKey.values()].map((r) => ({
        source_key: r.sourceKey, org: r.org, kind: r.kind, namespace: r.namespace, name: r.name, revision: r.revision,
        phase: r.phase, ready: r.ready, health: r.health, status: r.status, model: r.model,
      }));
      await scope.write(async (q) => {
        for (const batch of batches(rows)) {
          await q.query(
            `INSERT INTO resource_status (source_key, org, kind, namespace, name, revision, phase, ready, health, status, model, updated_at)
             SELECT x.source_key, x.org, x.kind, x.namespace, x.name, x.revision, x.phase, x.ready, x.health, x.status, x.model, now()
             FROM jsonb_to_recordset($1::jsonb) AS x(source_key text, org text, kind text, namespace text, name text, revision text,
                  phase text, ready text, health text, status jsonb, model jsonb)
             ON CONFLICT (source_key) DO UPDATE SET org = excluded.org, revision = excluded.revision, phase = excluded.phase,
               ready = excluded.ready, health = excluded.health, status = excluded.status, model = excluded.model, updated_at = now()`,
            [JSON.stringify(batch)],
          );
          // One statement for the batch's events, then one wake-up: a cold pass changes thousands of statuses at once.
          await q.query(
            `WITH e AS (
               INSERT INTO events (org, type, kind, namespace, name, payload)
               SELECT x.org, $2, x.kind, x.namespace, x.name,
                      jsonb_build_object('revision', x.revision, 'phase', x.phase, 'ready', x.ready, 'health', x.health)
               FROM jsonb_to_recordset($1::jsonb) AS x(org text, kind text, namespace text, name text, revision text,
                    phase text, ready text, health text)
               RETURNING seq)
             SELECT pg_notify($3, max(seq)::text) FROM e`,
            [JSON.stringify(batch), STATUS_CHANGED, scope.channel],
          );
        }
      });
    },
    async remove(sourceKeys) {
      if (!sourceKeys.length) return;
      await scope.write((q) => q.query('DELETE FROM resource_status WHERE source_key = ANY($1::text[])', [[...sourceKeys]]));
    },
  };
}
