import { formatDetail, type ErrorDetail } from '../../errors/index.ts';
import { keysThatMayDiffer } from '../../loader/index.ts';
import type { DesiredResource, DesiredState } from '../../loader/types.ts';
import { batches } from '../../store/batches.ts';
import type { InventoryEntry, NewEvent, Store } from '../../store/types.ts';

/** What a finished pass tells its orgs: a loaded state, or the errors that kept a revision from loading. */
export type PassOutcome =
  | { outcome: string; revision: string; run: { id: number; startedAt?: string }; errors: ErrorDetail[] }
  | { outcome: string; revision: string; run: { id: number; startedAt?: string }; state: DesiredState };

export interface Announced {
  key: string;
  org: string | null;
  kind: string;
  namespace: string;
  name: string;
  hash: string;
  revision: string;
  path: string;
}

const MAX_ERRORS = 50;

/**
 * The announced resources as the process that applies last recorded them, kept between its passes so a
 * one-file commit does not read every row back. Trusted only when the pass follows this process's previous run
 * (run ids are consecutive): otherwise another leader may have announced meanwhile, and the table is read again.
 */
export interface AnnouncedMemory {
  rows?: Map<string, Announced>;
  lastRun?: number;
  /** The state the rows were last brought in line with: a next state sharing its base differs only in a few keys. */
  state?: DesiredState;
}

function announcedOf(r: DesiredResource, revision: string): Announced {
  return { key: r.key, org: r.org, kind: r.id.kind, namespace: r.id.namespace, name: r.id.name, hash: r.hash, revision, path: r.source.path };
}

/** The org of a file: the one its last good documents belonged to, else the conventional `orgs/<org>/` prefix. */
function orgOfPath(path: string | undefined, byPath: Map<string, string | null>): string | null {
  if (!path) return null;
  const known = byPath.get(path);
  if (known !== undefined) return known;
  return /^orgs\/([a-z0-9-]+)\//.exec(path)?.[1] ?? null;
}

function group<T>(items: Iterable<T>, keyOf: (item: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    if (key !== null) (out.get(key) ?? out.set(key, []).get(key)!).push(item);
  }
  return out;
}

async function readAnnounced(store: Pick<Store, 'query'>): Promise<Map<string, Announced>> {
  const rows = await store.query<Announced>('SELECT key, org, kind, namespace, name, hash, revision, path FROM announced_resources');
  return new Map(rows.map((r) => [r.key, r]));
}

const UPSERT_ANNOUNCED = `INSERT INTO announced_resources (key, org, kind, namespace, name, hash, revision, path)
       SELECT key, org, kind, namespace, name, hash, revision, path
         FROM jsonb_to_recordset($1::jsonb) AS x(key text, org text, kind text, namespace text, name text, hash text, revision text, path text)
       ON CONFLICT (key) DO UPDATE SET org = EXCLUDED.org, hash = EXCLUDED.hash, revision = EXCLUDED.revision, path = EXCLUDED.path`;
const DELETE_ANNOUNCED = 'DELETE FROM announced_resources WHERE key IN (SELECT jsonb_array_elements_text($1::jsonb))';

/**
 * In statements of at most BATCH_ROWS rows, as every bulk write (a cold pass announces every resource, and one
 * statement of 10,000 rows grows PGlite's memory for good); more than one statement runs in one transaction.
 */
async function recordAnnounced(store: Pick<Store, 'query' | 'transaction'>, upserts: Announced[], deleted: string[]): Promise<void> {
  const statements = [...[...batches(upserts)].map((b) => [UPSERT_ANNOUNCED, b] as const), ...[...batches(deleted)].map((b) => [DELETE_ANNOUNCED, b] as const)];
  if (statements.length <= 1) {
    for (const [sql, batch] of statements) await store.query(sql, [JSON.stringify(batch)]);
    return;
  }
  await store.transaction(async (tx) => {
    for (const [sql, batch] of statements) await tx.query(sql, [JSON.stringify(batch)]);
  });
}

/**
 * Publishes what a dashboard of each org follows after a pass of the process that applies: every config
 * resource created, changed or deleted (to its own org; platform documents with org null), and each org's
 * share of the outcome: SyncSucceeded / SyncFailed for the orgs whose resources changed, whose objects failed
 * or whose files held errors at the last refused revision, ValidationFailed with the errors in an org's files,
 * each org's share opened by its own SyncStarted. The platform-wide events stay the pass's own.
 * The diff is against the resources the last announcement recorded, updated only after its events are
 * published: a pass that dies in between announces again (at least once), never skips a change.
 */
export async function publishResourceEvents(store: Pick<Store, 'query' | 'events' | 'inventory' | 'transaction'>, pass: PassOutcome, memory: AnnouncedMemory = {}): Promise<void> {
  const held = memory.rows && memory.lastRun === pass.run.id - 1 ? memory.rows : undefined;
  const announcedState = held ? memory.state : undefined;
  // Forgotten until this pass has recorded its announcement: a pass that dies part-way announces again.
  memory.rows = undefined;
  memory.state = undefined;
  const before = held ?? (await readAnnounced(store));
  const runName = String(pass.run.id);
  // An org's stream brackets its share of the pass: SyncStarted (with the pass's start time), changes, outcome.
  const opened = new Set<string>();
  // Published in one batch at the end, in this order: a cold pass announces every resource, and a transaction
  // per event made announcing cost more than applying.
  const out: NewEvent[] = [];
  const publish = (e: NewEvent) => void out.push(e);
  const open = (org: string | null) => {
    if (org === null || opened.has(org)) return;
    opened.add(org);
    publish({ org, type: 'SyncStarted', kind: 'SyncRun', name: runName, payload: { revision: pass.revision, startedAt: pass.run.startedAt } });
  };
  if (!('state' in pass)) {
    const byPath = new Map([...before.values()].map((a) => [a.path, a.org]));
    const byOrg = group(pass.errors, (e) => orgOfPath(e.path, byPath));
    for (const [org, errors] of byOrg) {
      open(org);
      publish({
        org, type: 'ValidationFailed', kind: 'SyncRun', name: runName,
        payload: { revision: pass.revision, errorCount: errors.length, errors: errors.slice(0, MAX_ERRORS).map(formatDetail) },
      });
    }
    await store.events.publishMany(out);
    await store.query('DELETE FROM orgs_with_validation_errors');
    if (byOrg.size) {
      await store.query('INSERT INTO orgs_with_validation_errors (org, revision) SELECT jsonb_array_elements_text($1::jsonb), $2', [JSON.stringify([...byOrg.keys()]), pass.revision]);
    }
    Object.assign(memory, { rows: before, lastRun: pass.run.id, state: announcedState });
    return;
  }
  const recovered = (await store.query<{ org: string }>('SELECT org FROM orgs_with_validation_errors')).map((r) => r.org);
  const { revision, state } = pass;
  const upserts: Announced[] = [];
  const touched = new Map<string, { created: number; changed: number; deleted: number }>();
  const count = (org: string | null, what: 'created' | 'changed' | 'deleted') => {
    if (org !== null) (touched.get(org) ?? touched.set(org, { created: 0, changed: 0, deleted: 0 }).get(org)!)[what]++;
  };
  // The keys that may differ from the rows, when the rows were brought in line with a state of the same base.
  const keys = announcedState ? keysThatMayDiffer(announcedState, state) : undefined;
  const present = keys ? [...keys].sort().flatMap((k) => state.resources.get(k) ?? []) : state.resources.values();
  for (const r of present) {
    const was = before.get(r.key);
    if (was && was.hash === r.hash && was.org === r.org) continue;
    const type = was ? 'ResourceChanged' : 'ResourceCreated';
    open(r.org);
    publish({
      org: r.org, type, kind: r.id.kind, namespace: r.id.namespace, name: r.id.name,
      payload: { revision, ...(was ? { previousRevision: was.revision } : {}), source: { path: r.source.path, line: r.source.line } },
    });
    count(r.org, was ? 'changed' : 'created');
    upserts.push(announcedOf(r, revision));
  }
  const deleted: string[] = [];
  const previous = keys ? [...keys].flatMap((k) => before.get(k) ?? []) : before.values();
  for (const was of previous) {
    if (state.resources.has(was.key)) continue;
    open(was.org);
    publish({
      org: was.org, type: 'ResourceDeleted', kind: was.kind, namespace: was.namespace, name: was.name,
      payload: { revision, previousRevision: was.revision, source: { path: was.path } },
    });
    count(was.org, 'deleted');
    deleted.push(was.key);
  }
  // Object failures are read back only when there were some, and only the failed entries: a pass that fails one
  // object of 40,000 reads one row, not the inventory.
  const failed: Map<string, InventoryEntry[]> = pass.outcome === 'Succeeded' ? new Map() : group(await store.inventory.list({ syncStatus: 'SyncFailed' }), (e) => e.org);
  for (const org of new Set([...touched.keys(), ...failed.keys(), ...recovered])) {
    const errors = (failed.get(org) ?? []).map((e) => ({ code: e.reason ?? 'SyncFailed', message: e.message ?? 'the object failed to apply' }));
    open(org);
    publish({
      org, type: errors.length ? 'SyncFailed' : 'SyncSucceeded', kind: 'SyncRun', name: runName,
      payload: { revision, outcome: errors.length ? 'Failed' : 'Succeeded', ...(touched.get(org) ?? { created: 0, changed: 0, deleted: 0 }), errorCount: errors.length, errors: errors.slice(0, MAX_ERRORS) },
    });
  }
  await store.events.publishMany(out);
  await recordAnnounced(store, upserts, deleted);
  if (recovered.length) await store.query('DELETE FROM orgs_with_validation_errors');
  for (const a of upserts) before.set(a.key, a);
  for (const key of deleted) before.delete(key);
  Object.assign(memory, { rows: before, lastRun: pass.run.id, state });
}
