import { batches, BATCH_ROWS } from './batches.ts';
import type { Queryable, Session } from './driver.ts';
import { iso } from './rows.ts';
import type { Condition, Inventory, InventoryEntry } from './types.ts';

const TARGET = 'api_version text, kind text, namespace text, name text';

interface Row {
  source_key: string;
  org: string | null;
  target_api_version: string;
  target_kind: string;
  target_namespace: string;
  target_name: string;
  revision: string;
  content_hash: string;
  sync_status: InventoryEntry['syncStatus'];
  health: InventoryEntry['health'];
  conditions: Condition[];
  reason: string;
  message: string;
  updated_at: unknown;
}

function toEntry(r: Row): InventoryEntry {
  return {
    sourceKey: r.source_key,
    org: r.org,
    target: { apiVersion: r.target_api_version, kind: r.target_kind, namespace: r.target_namespace || null, name: r.target_name },
    revision: r.revision,
    contentHash: r.content_hash,
    syncStatus: r.sync_status,
    health: r.health,
    reason: r.reason,
    message: r.message,
    conditions: r.conditions,
    updatedAt: iso(r.updated_at),
  };
}

const targetJson = (t: InventoryEntry['target']) => ({ api_version: t.apiVersion, kind: t.kind, namespace: t.namespace ?? '', name: t.name });

const UPSERT = `INSERT INTO inventory (source_key, org, target_api_version, target_kind, target_namespace, target_name,
                                revision, content_hash, sync_status, health, conditions, reason, message, updated_at)
         SELECT x.source_key, x.org, x.api_version, x.kind, x.namespace, x.name, x.revision, x.content_hash,
                x.sync_status, x.health, x.conditions, x.reason, x.message, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(source_key text, org text, ${TARGET}, revision text, content_hash text,
              sync_status text, health text, conditions jsonb, reason text, message text)
         ON CONFLICT (source_key, target_api_version, target_kind, target_namespace, target_name) DO UPDATE SET
           org = excluded.org, revision = excluded.revision, content_hash = excluded.content_hash,
           sync_status = excluded.sync_status, health = excluded.health, conditions = excluded.conditions,
           reason = excluded.reason, message = excluded.message, updated_at = now()`;

const REMOVE = `DELETE FROM inventory AS i USING jsonb_to_recordset($1::jsonb) AS x(${TARGET})
         WHERE i.target_api_version = x.api_version AND i.target_kind = x.kind
           AND i.target_namespace = x.namespace AND i.target_name = x.name`;

/**
 * One statement per batch of rows; a call of more than one batch runs in a transaction, so it is all or nothing
 * as a single statement was.
 */
async function inBatches(session: Session, sql: string, rows: readonly object[]): Promise<void> {
  if (rows.length <= BATCH_ROWS) return void (await session.query(sql, [JSON.stringify(rows)]));
  await session.transaction(async (tx) => {
    for (const batch of batches(rows)) await tx.query(sql, [JSON.stringify(batch)]);
  });
}

/** Rows to upsert; the last entry wins for a repeated key, as one INSERT may not touch the same row twice. */
function upsertRows(entries: readonly InventoryEntry[]): object[] {
  const byKey = new Map<string, object>();
  for (const e of entries) {
    const t = targetJson(e.target);
    byKey.set(JSON.stringify([e.sourceKey, t]), {
      ...t, source_key: e.sourceKey, org: e.org, revision: e.revision, content_hash: e.contentHash,
      sync_status: e.syncStatus, health: e.health, conditions: e.conditions ?? [], reason: e.reason ?? '', message: e.message ?? '',
    });
  }
  return [...byKey.values()];
}

/** What the controller applied, one row per (source resource, target object). */
export function createInventory(q: Session): Inventory {
  return {
    async upsert(entries) {
      const rows = upsertRows(entries);
      if (rows.length) await inBatches(q, UPSERT, rows);
    },
    async write(entries, { takenOver = [], removed = [] } = {}) {
      const rows = upsertRows(entries);
      const statements = [
        ...[...batches(takenOver)].map((b) => [REMOVE, b.map(targetJson)] as const),
        ...[...batches(rows)].map((b) => [UPSERT, b] as const),
        ...[...batches(removed)].map((b) => [REMOVE, b.map(targetJson)] as const),
      ];
      if (statements.length === 0) return;
      // One statement is all or nothing by itself. More run in one transaction: a crash between dropping the row of
      // an object taken over and writing its new owner's would leave the object applied but in no row, so no pass
      // would prune it.
      if (statements.length === 1) return void (await q.query(statements[0]![0], [JSON.stringify(statements[0]![1])]));
      await q.transaction(async (tx) => {
        for (const [sql, batch] of statements) await tx.query(sql, [JSON.stringify(batch)]);
      });
    },
    async remove(targets) {
      if (!targets.length) return;
      await inBatches(q, REMOVE, targets.map(targetJson));
    },
    async list(filter = {}) {
      const params: unknown[] = [];
      const where: string[] = [];
      if (filter.org !== undefined) where.push(`org = $${params.push(filter.org)}`);
      if (filter.sourceKey !== undefined) where.push(`source_key = $${params.push(filter.sourceKey)}`);
      if (filter.syncStatus !== undefined) where.push(`sync_status = $${params.push(filter.syncStatus)}`);
      const rows = await q.query<Row>(
        `SELECT * FROM inventory ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY source_key, target_api_version, target_kind, target_namespace, target_name`,
        params,
      );
      return rows.map(toEntry);
    },
    async version(org) {
      // Every upsert stamps updated_at and a removal lowers the count, so the pair moves with any change.
      const [row] = await q.query<{ n: number; at: string | null }>('SELECT count(*)::int AS n, max(updated_at)::text AS at FROM inventory WHERE org = $1', [org]);
      return `${row?.n ?? 0}@${row?.at ?? ''}`;
    },
  };
}
