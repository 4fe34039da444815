import { createHash } from 'node:crypto';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../../kinds/index.ts';
import { objectIdentity } from '../../cluster/index.ts';
import type { ApplyOutcome, ClusterDriver, KubeObject, WatchEventType, WatchHandle } from '../../cluster/types.ts';
import { sanitize } from '../../errors/index.ts';
import { keyTextOf } from '../../plan/index.ts';
import { createBackoff, type BackoffOptions } from '../backoff.ts';

export interface DriftWatcher {
  /**
   * A sync pass begins: until it ends, events are held rather than repaired, since a repair would apply
   * the previous revision's object over the pass's (or bring back an object the pass just pruned).
   * Resolves once the writes already under way have ended, so none of them lands after the pass's own.
   */
  holdDuringPass(): Promise<void>;
  /**
   * The objects last applied: watched, and re-applied when changed or deleted by hand. `live` are the
   * pass's own writes as the server answered them; a held event of one of them is not drift.
   */
  track(objects: readonly KubeObject[], live?: readonly KubeObject[]): void;
  /**
   * track() of a render's objects by group: when it names the groups changed since the render last tracked,
   * only those are looked at.
   */
  trackRender(render: TrackedRender, live?: readonly KubeObject[]): void;
  /** The pass ended (also when it failed): held events are judged against the desired objects now known. */
  releaseHeld(): void;
  /** Re-applies one tracked object; a no-op when it already matches. */
  repair(identity: string): Promise<void>;
  /**
   * A write of ours outside the sync pass (the runner scaler's): the event it causes is not taken for
   * drift, even when the server streams it before it answers the apply.
   */
  applyOwn(obj: KubeObject): Promise<ApplyOutcome>;
  stop(): void;
}

/** A render's groups, its number, and which groups changed since render `since` (see the sync pass's PassRender). */
export interface TrackedRender {
  groups: ReadonlyMap<string, readonly KubeObject[]>;
  version: number;
  changed?: ReadonlySet<string>;
  since?: number;
}

interface DriftDeps {
  driver: ClusterDriver;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Queues a repair, after `delayMs` when the object is being repaired over and over. */
  enqueue(identity: string, delayMs?: number): void;
  /** Back-off of repeated repairs of one object, the engine's policy (default 1 s doubling to 5 min). */
  repairBackoff?: BackoffOptions;
  /** Calm after which an object's repair streak is forgotten (default 10 min). */
  repairResetAfterMs?: number;
  /** Every owned object seen live (watch events, answers to our writes), for status and scaling. */
  observe?(type: WatchEventType, obj: KubeObject): void;
  /** Last say on an object before it is re-applied: the same hook the sync pass uses. */
  adjust?(obj: KubeObject): KubeObject;
}

const OWNED = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
const REPAIR_BACKOFF: BackoffOptions = { baseMs: 1_000, capMs: 5 * 60_000 };
const REPAIR_RESET_AFTER_MS = 10 * 60_000;
/** From this many repairs in a row, each one is logged as a fight with another writer. */
const FIGHT_STREAK = 3;

/** An event to judge later; `undefined` stands for a repair asked for while judgment was held. */
type Held = Map<string, KubeObject | undefined>;

/**
 * Self-heal: watches every kind Kradle applied (objects labelled managed-by=kradle) and queues a repair
 * when one is modified or deleted. A repair is a forced server-side apply of the desired object.
 *
 * Our own writes must not read as drift, or each would cost a second apply (and a repair racing a sync
 * pass would apply the previous revision). Events that arrive while we write an object are held and, once
 * the server has answered, dropped when they carry the resourceVersion of our write.
 */
export function createDriftWatcher(deps: DriftDeps): DriftWatcher {
  let desired = new Map<string, KubeObject>();
  /** The render last tracked and the identities of each of its groups, to follow the next one by its changes. */
  let tracked: { version: number; ids: Map<string, string[]> } | undefined;
  const fingerprints = new Map<string, string>();
  const watches = new Map<string, Promise<WatchHandle | undefined>>();
  /** Per object, our writes in flight and the newest event seen meanwhile. */
  const writing = new Map<string, { count: number; late?: KubeObject }>();
  /** Events held while a sync pass runs. */
  let held: Held | undefined;
  let stopped = false;
  /** Our writes under way (repairs, the scaler's), awaited before a pass begins. */
  const inflight = new Set<Promise<unknown>>();
  /**
   * Per object, the repairs that changed something in a row, on the engine's back-off. Another writer that puts
   * its value back each time (a controller, a script) would otherwise have us re-apply at the speed of the
   * watch, forever.
   */
  const backoff = createBackoff(deps.repairBackoff ?? REPAIR_BACKOFF);
  const resetAfterMs = deps.repairResetAfterMs ?? REPAIR_RESET_AFTER_MS;
  const repairs = new Map<string, { at: number; nextAt: number }>();

  function requestRepair(id: string): void {
    const r = repairs.get(id);
    const wait = r ? r.nextAt - Date.now() : 0;
    deps.enqueue(id, wait > 0 ? wait : 0);
  }

  function repaired(id: string): void {
    const now = Date.now();
    const last = repairs.get(id);
    if (!last || now - last.at >= resetAfterMs) backoff.reset(id);
    const delay = backoff.next(id);
    const streak = backoff.attempts(id);
    repairs.set(id, { at: now, nextAt: now + delay });
    if (streak >= FIGHT_STREAK) {
      deps.logger.warn({ object: id, repairs: streak, nextRepairInMs: delay }, 'object keeps drifting: another writer is changing it; repairs back off');
    }
  }

  function during<T>(work: Promise<T>): Promise<T> {
    inflight.add(work);
    const done = () => void inflight.delete(work);
    work.then(done, done);
    return work;
  }

  function onEvent(type: WatchEventType, obj: KubeObject): void {
    deps.observe?.(type, obj);
    const id = objectIdentity(obj);
    const changed = remember(id, type === 'DELETED' ? undefined : obj);
    if (type === 'ADDED' || !changed || !desired.has(id)) return;
    const w = writing.get(id);
    if (held) held.set(id, obj);
    else if (w) w.late = obj;
    else requestRepair(id);
  }

  async function openWatch(apiVersion: string, kind: string, gvk: string): Promise<WatchHandle | undefined> {
    if (!(await deps.driver.servesKind(apiVersion, kind).catch(() => false))) return undefined;
    return deps.driver.watch(
      apiVersion,
      kind,
      { labelSelector: OWNED },
      onEvent,
      (err) => deps.logger.warn({ gvk, err: sanitize(String(err)) }, 'watch of owned objects failed; it is re-established by the driver'),
    );
  }

  /**
   * Whether an event may hold drift. Status writes (ours to every custom resource, the controllers' to
   * Deployments as pods come and go) leave metadata.generation, labels and annotations as they were: those
   * events are skipped, or each status write would cost a no-op re-apply. Objects without a generation
   * (ServiceAccount, RoleBinding) are always checked.
   */
  function remember(id: string, obj: KubeObject | undefined): boolean {
    if (!obj) {
      fingerprints.delete(id);
      return true;
    }
    const generation = obj.metadata.generation;
    if (generation === undefined) return true;
    // A digest, not the text: one per watched object, the text was ~330 bytes each (~5 MB at 10,000).
    const fp = createHash('sha1').update(JSON.stringify([generation, obj.metadata.labels ?? {}, obj.metadata.annotations ?? {}])).digest('base64');
    const same = fingerprints.get(id) === fp;
    fingerprints.set(id, fp);
    return !same;
  }

  async function writeOwn(obj: KubeObject): Promise<ApplyOutcome> {
    const id = objectIdentity(obj);
    const w = writing.get(id) ?? { count: 0 };
    w.count++;
    writing.set(id, w);
    let live: KubeObject | undefined;
    try {
      const outcome = await deps.driver.apply(obj, { force: true });
      live = outcome.live;
      // Seen live, and remembered so that its own event is no drift.
      if (live) {
        deps.observe?.('MODIFIED', live);
        remember(id, live);
      }
      return outcome;
    } finally {
      if (--w.count === 0) {
        writing.delete(id);
        // An event other than our own write is a fresh change to judge (held, when a pass has begun since).
        if (w.late && w.late.metadata.resourceVersion !== live?.metadata.resourceVersion) {
          if (held) held.set(id, w.late);
          else requestRepair(id);
        }
      }
    }
  }

  function judgeHeld(written: ReadonlyMap<string, string | undefined>): void {
    const events = held;
    held = undefined;
    for (const [id, obj] of events ?? []) {
      if (!desired.has(id)) continue;
      if (obj && written.has(id) && written.get(id) === obj.metadata.resourceVersion) continue;
      requestRepair(id);
    }
  }

  /** One watch per kind: the pending open is recorded before any await, so concurrent tracks share it. */
  function ensureWatch(apiVersion: string, kind: string): void {
    const gvk = `${apiVersion}/${kind}`;
    if (watches.has(gvk) || stopped || deps.driver.mode !== 'live') return;
    const opening = openWatch(apiVersion, kind, gvk).catch((err) => {
      deps.logger.warn({ gvk, err: sanitize(String(err)) }, 'could not watch kind');
      return undefined;
    });
    watches.set(gvk, opening);
    void opening.then((handle) => {
      if (!handle) watches.delete(gvk);
      else if (stopped || watches.get(gvk) !== opening) handle.stop();
    });
  }

  function want(o: KubeObject): string {
    const id = keyTextOf(o);
    if (desired.get(id) !== o) {
      desired.set(id, o);
      ensureWatch(o.apiVersion, o.kind);
    }
    return id;
  }

  function judgeLive(live: readonly KubeObject[]): void {
    const written = new Map<string, string | undefined>();
    for (const o of live) {
      const id = objectIdentity(o);
      written.set(id, o.metadata.resourceVersion);
      remember(id, o);
    }
    judgeHeld(written);
  }

  return {
    async holdDuringPass() {
      held ??= new Map();
      // A repair that began before the hold applies the previous revision's object: were it to land after
      // the pass pruned that object, the object would come back, untracked and never pruned again.
      await Promise.allSettled([...inflight]);
    },
    releaseHeld() {
      judgeHeld(new Map());
    },
    trackRender(render, live = []) {
      stopped = false;
      const follows = tracked !== undefined && render.changed !== undefined && render.since === tracked.version;
      if (!follows) {
        const ids = new Map<string, string[]>();
        const before = desired;
        desired = new Map();
        for (const [key, objects] of render.groups) {
          ids.set(key, objects.map((o) => {
            const id = keyTextOf(o);
            // The same object as before needs no new look (its kind is watched already).
            if (before.get(id) === o) desired.set(id, o);
            else want(o);
            return id;
          }));
        }
        tracked = { version: render.version, ids };
      } else {
        // Removals first: an object that moved between two changed groups stays wanted.
        for (const key of render.changed!) for (const id of tracked!.ids.get(key) ?? []) desired.delete(id);
        for (const key of render.changed!) {
          const objects = render.groups.get(key);
          if (objects) tracked!.ids.set(key, objects.map(want));
          else tracked!.ids.delete(key);
        }
        tracked!.version = render.version;
      }
      judgeLive(live);
    },
    track(objects, live = []) {
      stopped = false;
      tracked = undefined;
      // Incremental: a pass hands over mostly the very objects of the last one (the render keeps them), so
      // only new or replaced objects are looked at, and the map is rebuilt only when objects left it.
      for (const o of objects) {
        const id = keyTextOf(o);
        if (desired.get(id) === o) continue;
        desired.set(id, o);
        ensureWatch(o.apiVersion, o.kind);
      }
      if (desired.size > objects.length) desired = new Map(objects.map((o) => [keyTextOf(o), o]));
      judgeLive(live);
    },
    async repair(identity) {
      const found = desired.get(identity);
      if (!found) return;
      if (held) {
        held.set(identity, undefined);
        return;
      }
      const obj = deps.adjust ? deps.adjust(found) : found;
      await during((async () => {
        // A hand-deleted namespace takes its objects with it: bring it back before what lives in it.
        const ns = obj.metadata.namespace ? desired.get(objectIdentity({ apiVersion: 'v1', kind: 'Namespace', name: obj.metadata.namespace })) : undefined;
        if (ns) await deps.driver.apply(ns, { force: true });
        const outcome = await writeOwn(obj);
        if (outcome.action === 'created' || outcome.action === 'configured') {
          repaired(identity);
          deps.logger.info({ object: identity, action: outcome.action }, 'drift repaired');
        }
      })());
    },
    applyOwn: (obj) => during(writeOwn(obj)),
    stop() {
      stopped = true;
      // Watches end: the next track starts over, opening one per kind again.
      desired = new Map();
      tracked = undefined;
      for (const opening of watches.values()) void opening.then((h) => h?.stop());
      watches.clear();
    },
  };
}
