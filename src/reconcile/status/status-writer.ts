import { objectIdentity, objectRef, PLATFORM_SOURCE_KEY } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject, WatchEventType } from '../../cluster/types.ts';
import { formatDetail, sanitize, type ErrorDetail } from '../../errors/index.ts';
import { parseResourceKey } from '../../kinds/index.ts';
import { syncOf, type Change, type ChangeSet, type RenderedGroups } from '../../plan/index.ts';
import type { Condition, ResourceStatusRecord, Store } from '../../store/types.ts';
import type { ConditionInput } from '../conditions.ts';
import { createWorkQueue } from '../queue.ts';
import { canonical, clip, composeStatus, worstHealth, type ObjectState, type StatusInput } from './compose.ts';
import { objectHealth, type HealthOf } from './object-health.ts';
import { emptyRecord, fromModel, resourceKeyOf, selfOf, toModel, type RecordModel, type ResourceRecord } from './records.ts';

export interface StatusWriterDeps {
  driver: ClusterDriver;
  /** Where the status model lives: the source of truth every replica's API reads. */
  store: Pick<Store, 'statuses'>;
  healthOf: HealthOf;
  logger: { warn(obj: object, msg: string): void };
  now?: () => Date;
  /** Status writes in flight at once (a cold 10,000-resource pass writes 10,000 statuses). */
  concurrency?: number;
}

/** What a pass that applied (or planned) a good revision tells the writer. */
export interface AppliedPass {
  revision: string;
  /** Every object of the revision, by the resource that produced it. */
  groups: RenderedGroups;
  /** What this pass's applies did, one change per object it applied, planned or failed. */
  changes: ChangeSet;
  /** Source keys whose objects were new, changed or not Synced before this pass. */
  changed: ReadonlySet<string>;
  /** The org of a resource. */
  orgOf(sourceKey: string): string | null;
  /**
   * The only groups that may differ since the last pass the writer was told of (removed ones included), when
   * the pass knows them: the others keep their status without being looked at.
   */
  scope?: ReadonlySet<string>;
}

export interface StatusWriteCounts {
  written: number;
  unchanged: number;
  absent: number;
  failed: number;
}

export interface StatusWriter {
  recordApplied(pass: AppliedPass): Promise<StatusWriteCounts>;
  /** A revision failed validation: every known resource keeps lastAppliedRevision and says why. */
  recordInvalid(revision: string, errors: readonly ErrorDetail[]): Promise<StatusWriteCounts>;
  /** An owned object seen live (watch event, self-heal apply): its health shows in its owner's status. */
  observe(type: WatchEventType, obj: KubeObject): void;
  /**
   * The one way another domain changes a resource's status (`Kind/namespace/name`): conditions merged by type
   * (positive polarity: False makes Ready False unless the sync explains it first) and top-level fields (null
   * removes one). Both survive sync passes.
   */
  merge(sourceKey: string, change: { conditions?: readonly ConditionInput[]; fields?: Record<string, unknown> }): Promise<void>;
  /** Saves and writes every status that changed since it was last saved or written. */
  flush(): Promise<StatusWriteCounts>;
}

/**
 * /status writes in flight at once. Each is one small PATCH whose time is mostly the round trip, so a cold pass
 * of 10,000 resources was bound by latency at 8; 32 keeps a real API server's priority and fairness well within
 * bounds (a 429 is retried after its Retry-After by the driver).
 */
const DEFAULT_CONCURRENCY = 32;

const zero = (): StatusWriteCounts => ({ written: 0, unchanged: 0, absent: 0, failed: 0 });

function invalidMessage(revision: string, errors: readonly ErrorDetail[]): string {
  const first = errors.slice(0, 3).map((e) => formatDetail(e));
  const more = errors.length > first.length ? ` (and ${errors.length - first.length} more)` : '';
  return clip(`revision ${revision.slice(0, 12)} is invalid, nothing of it was applied: ${first.join('; ')}${more}`);
}

function stateOfChange(c: Change): ObjectState {
  return { ref: c.ref, sync: syncOf(c.action) ?? 'Synced', health: c.health, message: c.message, reason: c.reason };
}

function rowOf(key: string, r: ResourceRecord, status: Record<string, unknown>): ResourceStatusRecord {
  const id = parseResourceKey(key);
  const ready = (status.conditions as Condition[]).find((c) => c.type === 'Ready')?.status ?? 'Unknown';
  return {
    sourceKey: key, org: r.org, kind: id.kind, namespace: id.namespace, name: id.name,
    revision: r.lastAttemptedRevision ?? null, phase: String(status.phase), ready,
    health: worstHealth([...(r.self ? [r.self] : []), ...r.objects.values()]),
    status, model: toModel(r) as Record<string, unknown>,
  };
}

/**
 * The one writer of the status model. It keeps every Kradle resource's record (its custom resource, the objects
 * it produced, revisions, conditions other domains set), saves each composed status that changed to the store
 * (which publishes ResourceStatusChanged), then projects it onto the custom resource's /status when that differs
 * from what the server holds, so a resync that changes nothing saves and writes nothing.
 */
export function createStatusWriter(deps: StatusWriterDeps): StatusWriter {
  const now = deps.now ?? (() => new Date());
  const records = new Map<string, ResourceRecord>();
  const dirty = new Set<string>();
  /** Resources merged into since the last applied pass: a record of a resource no pass produced is dropped by it. */
  const merged = new Set<string>();
  /** Whether every record must be looked at by the next applied pass (the first, or after an invalid revision). */
  let lookAtAll = true;
  /** Saves or writes that failed: tried again with the next flush, whether or not the resource changed. */
  const failed = new Set<string>();
  let loaded: Promise<void> | undefined;
  /** Callers of flush() waiting for a drain that starts after their call. */
  let waiters: { resolve(c: StatusWriteCounts): void; reject(err: unknown): void }[] = [];

  const recordOf = (key: string) => {
    let r = records.get(key);
    if (!r) records.set(key, (r = emptyRecord()));
    return r;
  };

  /** The model as saved, read once by the process that writes (a new leader continues from it). */
  const load = () => (loaded ??= (async () => {
    for (const row of await deps.store.statuses.list()) {
      const before = records.get(row.sourceKey);
      const r = fromModel(row.org, row.model as RecordModel, row.status);
      // Conditions and fields merged before the load are newer than the saved ones.
      for (const [type, c] of before?.extra ?? []) r.extra.set(type, c);
      Object.assign(r.fields, before?.fields);
      records.set(row.sourceKey, r);
    }
  })());

  async function writeOne(key: string, r: ResourceRecord, status: Record<string, unknown>, counts: StatusWriteCounts): Promise<void> {
    try {
      const out = await deps.driver.applyStatus(r.cr!, status);
      if (out === 'absent') counts.absent++;
      else {
        r.written = status;
        counts.written++;
      }
    } catch (err) {
      counts.failed++;
      failed.add(key);
      deps.logger.warn({ resource: key, err: sanitize(String(err)) }, 'status write failed; retried on the next pass');
    }
  }

  async function drain(): Promise<StatusWriteCounts> {
    const counts = zero();
    const keys = [...new Set([...dirty, ...failed])];
    dirty.clear();
    failed.clear();
    const saves: ResourceStatusRecord[] = [];
    const writes: [string, ResourceRecord, Record<string, unknown>][] = [];
    for (const key of keys) {
      const r = records.get(key);
      if (!r?.cr) continue;
      const input: StatusInput = { ...r, objects: [...r.objects.values()], extra: [...r.extra.values()] };
      const status = composeStatus(input, r.stored ?? r.written, now());
      const text = canonical(status);
      // An equal status read back (from the store, from the server) is replaced by the composed one, so a
      // record holds one copy, not two (after a restart, 10,000 records held both).
      if (!r.stored || canonical(r.stored) !== text) saves.push(rowOf(key, r, status));
      else r.stored = status;
      if (r.written && canonical(r.written) === text) {
        counts.unchanged++;
        r.written = status;
      } else writes.push([key, r, status]);
    }
    const save = async () => {
      try {
        await deps.store.statuses.save(saves);
        for (const row of saves) records.get(row.sourceKey)!.stored = row.status;
      } catch (err) {
        for (const row of saves) failed.add(row.sourceKey);
        deps.logger.warn({ resources: saves.length, err: sanitize(String(err)) }, 'saving statuses failed; retried on the next pass');
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < writes.length) {
        const [key, r, status] = writes[next++]!;
        await writeOne(key, r, status, counts);
      }
    };
    // The save and the /status writes go to different servers and neither reads the other: they run side by side.
    await Promise.all([save(), ...Array.from({ length: Math.min(deps.concurrency ?? DEFAULT_CONCURRENCY, writes.length) }, worker)]);
    return counts;
  }

  // Drains run one at a time on the engine's queue (one key): calls during a drain collapse into one more, and
  // watch events are batched by a short delayed add instead of a timer of our own.
  const queue = createWorkQueue<'flush'>({
    concurrency: 1,
    async handler() {
      const mine = waiters;
      waiters = [];
      try {
        const counts = await drain();
        for (const w of mine) w.resolve(counts);
      } catch (err) {
        for (const w of mine) w.reject(err);
      }
      return 'success';
    },
  });
  const flush = () => new Promise<StatusWriteCounts>((resolve, reject) => {
    waiters.push({ resolve, reject });
    queue.add('flush');
  });
  const later = () => void queue.addAfter('flush', 20);

  async function recordApplied(pass: AppliedPass): Promise<StatusWriteCounts> {
    await load();
    const changes = new Map(pass.changes.map((c) => [objectIdentity(c.ref), c]));
    const touched = new Set(pass.changes.map((c) => c.sourceKey));
    const scope = lookAtAll || !pass.scope ? undefined : new Set([...pass.scope, ...touched, ...pass.changed, ...merged]);
    lookAtAll = false;
    merged.clear();
    const gone = [...(scope ?? records.keys())].filter((key) => records.has(key) && !pass.groups.has(key));
    for (const key of gone) {
      records.delete(key);
      failed.delete(key);
    }
    if (gone.length > 0) await deps.store.statuses.remove(gone);
    for (const key of scope ?? pass.groups.keys()) {
      const objs = pass.groups.get(key);
      if (key === PLATFORM_SOURCE_KEY || !objs) continue;
      const known = records.get(key);
      // A resource this pass neither changed nor applied keeps the status it has: a one-file commit in a
      // 10,000-resource repo composes one status, not 10,000.
      // A group in the pass's scope is looked at even so: it may have lost an object to another resource.
      if (known?.cr && known.invalid === undefined && !pass.changed.has(key) && !touched.has(key) && !pass.scope?.has(key)) continue;
      const self = selfOf(key, objs);
      if (!self) continue;
      const r = known ?? recordOf(key);
      r.org = pass.orgOf(key);
      r.cr = objectRef(self);
      const selfLive = changes.get(objectIdentity(self))?.live;
      if (selfLive) {
        r.generation = typeof selfLive.metadata.generation === 'number' ? selfLive.metadata.generation : r.generation;
        // What the server holds is what was last written: an unchanged status is not rewritten.
        r.written ??= selfLive.status as Record<string, unknown> | undefined;
        r.lastAppliedRevision ??= r.written?.lastAppliedRevision as string | undefined;
        r.lastAttemptedRevision ??= r.written?.lastAttemptedRevision as string | undefined;
      }
      const state = (o: KubeObject, before: ObjectState | undefined): ObjectState => {
        const c = changes.get(objectIdentity(o));
        if (c) return stateOfChange(c);
        return before ?? { ref: objectRef(o), sync: 'Synced', health: 'Unknown', message: 'not applied by this process yet', reason: 'Applied' };
      };
      r.self = state(self, r.self);
      r.objects = new Map(objs.filter((o) => o !== self).map((o) => [objectIdentity(o), state(o, r.objects.get(objectIdentity(o)))]));
      const attempted = pass.changed.has(key) || r.invalid !== undefined || r.lastAttemptedRevision === undefined;
      if (attempted) {
        r.lastAttemptedRevision = pass.revision;
        if ([r.self, ...r.objects.values()].every((o) => o.sync === 'Synced')) r.lastAppliedRevision = pass.revision;
      }
      r.invalid = undefined;
      dirty.add(key);
    }
    return flush();
  }

  return {
    recordApplied,
    async recordInvalid(revision, errors) {
      await load();
      const message = invalidMessage(revision, errors);
      lookAtAll = true;
      for (const [key, r] of records) {
        r.invalid = { message };
        r.lastAttemptedRevision = revision;
        dirty.add(key);
      }
      return flush();
    },
    observe(type, obj) {
      const key = resourceKeyOf(obj);
      const r = key ? records.get(key) : undefined;
      const id = objectIdentity(obj);
      const before = r?.objects.get(id);
      if (!r || !key || !before) return;
      const h = type === 'DELETED' ? { status: 'Missing' as const, message: 'deleted from the cluster; self-heal recreates it' } : objectHealth(obj, deps.healthOf);
      const sync = type === 'DELETED' ? 'Missing' : before.sync === 'Missing' ? 'Synced' : before.sync;
      if (sync === before.sync && h.status === before.health && h.message === before.message) return;
      r.objects.set(id, { ...before, sync, health: h.status, message: h.message });
      dirty.add(key);
      later();
    },
    async merge(sourceKey, change) {
      const r = recordOf(sourceKey);
      merged.add(sourceKey);
      for (const c of change.conditions ?? []) r.extra.set(c.type, { ...c });
      for (const [k, v] of Object.entries(change.fields ?? {})) {
        if (v === null || v === undefined) delete r.fields[k];
        else r.fields[k] = structuredClone(v);
      }
      dirty.add(sourceKey);
      await flush();
    },
    flush,
  };
}
