import { objectIdentity, objectRef } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject, WatchEventType } from '../../cluster/types.ts';
import { formatDetail, sanitize, type ErrorDetail } from '../../errors/index.ts';
import type { InventoryEntry } from '../../store/types.ts';
import type { ConditionInput } from '../conditions.ts';
import { canonical, clip, composeStatus, type ObjectState, type StatusInput } from './compose.ts';
import { emptyRecord, ownObjectHealth, selfOf, resourceKeyOf, type ResourceRecord } from './records.ts';

export interface StatusWriterDeps {
  driver: ClusterDriver;
  healthOf(live: KubeObject): { status: ObjectState['health']; message: string };
  logger: { warn(obj: object, msg: string): void };
  now?: () => Date;
  /** Status writes in flight at once (a cold 10,000-resource pass writes 10,000 statuses). */
  concurrency?: number;
}

/** What a pass that applied (or planned) a good revision tells the writer. */
export interface AppliedPass {
  revision: string;
  /** Every object of the revision. */
  objects: readonly KubeObject[];
  /** The inventory entries this pass wrote (objects it applied, planned or failed). */
  entries: readonly InventoryEntry[];
  /** Objects as the server returned them from this pass's applies. */
  live: readonly KubeObject[];
  /** Source keys whose objects were new, changed or not Synced before this pass. */
  changed: ReadonlySet<string>;
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
   * Conditions another domain owns on a resource (`Kind/namespace/name`), merged by type; they survive sync
   * passes. A condition with status False makes Ready False (unless the sync itself explains it first).
   */
  setExtraConditions(sourceKey: string, conditions: readonly ConditionInput[]): Promise<void>;
  /** Top-level status fields another domain owns (runner pool scaling); null removes a field. */
  setFields(sourceKey: string, fields: Record<string, unknown>): Promise<void>;
  /** The status last written (or planned) for a resource. */
  current(sourceKey: string): Record<string, unknown> | undefined;
  /** Writes every status that changed since it was last written. */
  flush(): Promise<StatusWriteCounts>;
}

const zero = (): StatusWriteCounts => ({ written: 0, unchanged: 0, absent: 0, failed: 0 });

function invalidMessage(revision: string, errors: readonly ErrorDetail[]): string {
  const first = errors.slice(0, 3).map((e) => formatDetail(e));
  const more = errors.length > first.length ? ` (and ${errors.length - first.length} more)` : '';
  return clip(`revision ${revision.slice(0, 12)} is invalid, nothing of it was applied: ${first.join('; ')}${more}`);
}

/**
 * Keeps a model of every Kradle resource (its custom resource, the objects it produced, revisions, conditions
 * other domains set) and writes each custom resource's /status only when the composed status differs from the
 * one last written, so a resync that changes nothing writes nothing.
 */
export function createStatusWriter(deps: StatusWriterDeps): StatusWriter {
  const now = deps.now ?? (() => new Date());
  const records = new Map<string, ResourceRecord>();
  const dirty = new Set<string>();
  /** Writes that failed: written again with the next pass, whether or not the resource changed. */
  const failed = new Set<string>();
  let chain: Promise<StatusWriteCounts> = Promise.resolve(zero());
  let timer: NodeJS.Timeout | undefined;

  const recordOf = (key: string) => {
    let r = records.get(key);
    if (!r) records.set(key, (r = emptyRecord()));
    return r;
  };

  async function writeOne(key: string, counts: StatusWriteCounts): Promise<void> {
    const r = records.get(key);
    if (!r?.cr) return;
    const input: StatusInput = { ...r, objects: [...r.objects.values()], extra: [...r.extra.values()] };
    const status = composeStatus(input, r.written, now());
    if (r.written && canonical(status) === canonical(r.written)) {
      counts.unchanged++;
      return;
    }
    try {
      failed.delete(key);
      const out = await deps.driver.applyStatus(r.cr, status);
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
    const keys = [...dirty];
    dirty.clear();
    let next = 0;
    const worker = async () => {
      while (next < keys.length) await writeOne(keys[next++]!, counts);
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 8, keys.length) }, worker));
    return counts;
  }

  const flush = () => (chain = chain.catch(zero).then(drain));
  const later = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, 20);
    timer.unref?.();
  };

  function recordApplied(pass: AppliedPass): Promise<StatusWriteCounts> {
    const entries = new Map(pass.entries.map((e) => [objectIdentity({ ...e.target, namespace: e.target.namespace ?? undefined }), e]));
    const live = new Map(pass.live.map((o) => [objectIdentity(o), o]));
    const byKey = new Map<string, KubeObject[]>();
    for (const obj of pass.objects) {
      const key = resourceKeyOf(obj);
      if (key) byKey.set(key, [...(byKey.get(key) ?? []), obj]);
    }
    for (const key of records.keys()) {
      if (byKey.has(key)) continue;
      records.delete(key);
      failed.delete(key);
    }
    for (const [key, objs] of byKey) {
      const known = records.get(key);
      // A resource this pass neither changed nor applied keeps the status it has: a one-file commit in a
      // 10,000-resource repo composes one status, not 10,000.
      if (known?.cr && known.invalid === undefined && !pass.changed.has(key) && !objs.some((o) => entries.has(objectIdentity(o)))) {
        if (failed.has(key)) dirty.add(key);
        continue;
      }
      const r = known ?? recordOf(key);
      const self = selfOf(key, objs);
      if (!self) continue;
      r.cr = objectRef(self);
      const selfLive = live.get(objectIdentity(self));
      if (selfLive) {
        r.generation = typeof selfLive.metadata.generation === 'number' ? selfLive.metadata.generation : r.generation;
        // After a restart, what the server holds is what was last written: unchanged statuses are not rewritten.
        r.written ??= selfLive.status as Record<string, unknown> | undefined;
        r.lastAppliedRevision ??= r.written?.lastAppliedRevision as string | undefined;
        r.lastAttemptedRevision ??= r.written?.lastAttemptedRevision as string | undefined;
      }
      const state = (o: KubeObject): ObjectState => stateOf(o, entries.get(objectIdentity(o)), live.get(objectIdentity(o)), r.objects.get(objectIdentity(o)) ?? (o === self ? r.self : undefined));
      r.self = state(self);
      r.objects = new Map(objs.filter((o) => o !== self).map((o) => [objectIdentity(o), state(o)]));
      const attempted = pass.changed.has(key) || r.invalid !== undefined || r.lastAttemptedRevision === undefined;
      if (attempted) {
        r.lastAttemptedRevision = pass.revision;
        const ok = [r.self, ...r.objects.values()].every((o) => o.sync === 'Synced');
        if (ok) r.lastAppliedRevision = pass.revision;
      }
      r.invalid = undefined;
      dirty.add(key);
    }
    return flush();
  }

  function stateOf(obj: KubeObject, entry: InventoryEntry | undefined, liveObj: KubeObject | undefined, before: ObjectState | undefined): ObjectState {
    const ref = objectRef(obj);
    if (!entry) return before ?? { ref, sync: 'Synced', health: 'Unknown', message: 'not applied by this process yet', reason: 'Applied' };
    const ready = entry.conditions.find((c) => c.type === 'Ready');
    const h = liveObj ? ownObjectHealth(liveObj, deps.healthOf) : { status: entry.health, message: ready?.message ?? '' };
    return { ref, sync: entry.syncStatus, health: h.status, message: entry.syncStatus === 'SyncFailed' ? ready?.message ?? 'apply failed' : h.message, reason: ready?.reason ?? '' };
  }

  return {
    recordApplied,
    recordInvalid(revision, errors) {
      const message = invalidMessage(revision, errors);
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
      const h = type === 'DELETED' ? { status: 'Missing' as const, message: 'deleted from the cluster; self-heal recreates it' } : ownObjectHealth(obj, deps.healthOf);
      r.objects.set(id, { ...before, sync: type === 'DELETED' ? 'Missing' : before.sync === 'Missing' ? 'Synced' : before.sync, health: h.status, message: h.message });
      dirty.add(key);
      later();
    },
    async setExtraConditions(sourceKey, conditions) {
      const r = recordOf(sourceKey);
      for (const c of conditions) r.extra.set(c.type, { ...c });
      dirty.add(sourceKey);
      await flush();
    },
    async setFields(sourceKey, fields) {
      const r = recordOf(sourceKey);
      for (const [k, v] of Object.entries(fields)) {
        if (v === null || v === undefined) delete r.fields[k];
        else r.fields[k] = structuredClone(v);
      }
      dirty.add(sourceKey);
      await flush();
    },
    current: (sourceKey) => {
      const w = records.get(sourceKey)?.written;
      return w && structuredClone(w);
    },
    flush,
  };
}

