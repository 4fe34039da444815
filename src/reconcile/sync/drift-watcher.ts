import { MANAGED_BY, MANAGED_BY_LABEL } from '../../kinds/index.ts';
import { objectIdentity } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject, WatchEventType, WatchHandle } from '../../cluster/types.ts';
import { sanitize } from '../../errors/index.ts';

export interface DriftWatcher {
  /** The objects last applied: watched, and re-applied when changed or deleted by hand. */
  track(objects: readonly KubeObject[]): void;
  /** Re-applies one tracked object; a no-op when it already matches. */
  repair(identity: string): Promise<void>;
  stop(): void;
}

interface DriftDeps {
  driver: ClusterDriver;
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  enqueue(identity: string): void;
  /** Every owned object seen live (watch events, repair answers), for status and scaling. */
  observe?(type: WatchEventType, obj: KubeObject): void;
  /** Last say on an object before it is re-applied: the same hook the sync pass uses. */
  adjust?(obj: KubeObject): KubeObject;
}

const OWNED = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;

/**
 * Self-heal: watches every kind Kradle applied (objects labelled managed-by=kradle) and queues a repair
 * when one is modified or deleted. A repair is a forced server-side apply of the desired object, which the
 * server treats as a no-op when nothing drifted, so our own writes never loop.
 */
export function createDriftWatcher(deps: DriftDeps): DriftWatcher {
  let desired = new Map<string, KubeObject>();
  const fingerprints = new Map<string, string>();
  const watches = new Map<string, Promise<WatchHandle | undefined>>();
  let stopped = false;

  async function openWatch(apiVersion: string, kind: string, gvk: string): Promise<WatchHandle | undefined> {
    if (!(await deps.driver.servesKind(apiVersion, kind).catch(() => false))) return undefined;
    return deps.driver.watch(
      apiVersion,
      kind,
      { labelSelector: OWNED },
      (type, obj) => {
        deps.observe?.(type, obj);
        const id = objectIdentity(obj);
        const changed = remember(id, type === 'DELETED' ? undefined : obj);
        if (type === 'ADDED' || !changed) return;
        if (desired.has(id)) deps.enqueue(id);
      },
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
    const fp = JSON.stringify([generation, obj.metadata.labels ?? {}, obj.metadata.annotations ?? {}]);
    const same = fingerprints.get(id) === fp;
    fingerprints.set(id, fp);
    return !same;
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

  return {
    track(objects) {
      stopped = false;
      desired = new Map(objects.map((o) => [objectIdentity(o), o]));
      const kinds = new Map(objects.map((o) => [`${o.apiVersion}/${o.kind}`, o]));
      for (const o of kinds.values()) ensureWatch(o.apiVersion, o.kind);
    },
    async repair(identity) {
      const found = desired.get(identity);
      if (!found) return;
      const obj = deps.adjust ? deps.adjust(found) : found;
      // A hand-deleted namespace takes its objects with it: bring it back before what lives in it.
      const ns = obj.metadata.namespace ? desired.get(objectIdentity({ apiVersion: 'v1', kind: 'Namespace', name: obj.metadata.namespace })) : undefined;
      if (ns) await deps.driver.apply(ns, { force: true });
      const outcome = await deps.driver.apply(obj, { force: true });
      if (outcome.live) {
        deps.observe?.('MODIFIED', outcome.live);
        remember(identity, outcome.live);
      }
      if (outcome.action === 'created' || outcome.action === 'configured') {
        deps.logger.info({ object: identity, action: outcome.action }, 'drift repaired');
      }
    },
    stop() {
      stopped = true;
      for (const opening of watches.values()) void opening.then((h) => h?.stop());
      watches.clear();
    },
  };
}
