import { PRUNE_ANNOTATION, PRUNE_DISABLED, objectIdentity, objectRef, sortForPrune } from '../../cluster/index.ts';
import type { ClusterDriver, KubeObject } from '../../cluster/types.ts';
import { isKradleError, sanitize } from '../../errors/index.ts';
import type { Condition, InventoryEntry } from '../../store/types.ts';
import { contentHashOf, sourceKeyOf, targetOf } from './object-plan.ts';

export type HealthOf = (live: KubeObject) => { status: InventoryEntry['health']; message: string };

export interface ApplyReport {
  entries: InventoryEntry[];
  counts: { applied: number; created: number; configured: number; unchanged: number; failed: number; missingKind: number; planned: number };
  errors: { code: string; message: string }[];
  /** Objects as the server returned them (empty in plan-only mode). */
  live: KubeObject[];
}

interface ApplyDeps {
  driver: ClusterDriver;
  healthOf: HealthOf;
  orgOf: (sourceKey: string) => string | null;
  now: () => Date;
}

function condition(type: string, status: Condition['status'], reason: string, message: string, now: Date): Condition {
  return { type, status, reason, message, lastTransitionTime: now.toISOString() };
}

function errorMessage(err: unknown): string {
  return sanitize(err instanceof Error ? err.message : String(err));
}

/**
 * Applies objects in order and reports one inventory entry each. A failure marks that object and goes on:
 * one bad object (or a missing CRD such as Kyverno's) never blocks the rest of the revision.
 */
export async function applyObjects(objects: readonly KubeObject[], revision: string, deps: ApplyDeps): Promise<ApplyReport> {
  const report: ApplyReport = {
    entries: [],
    counts: { applied: 0, created: 0, configured: 0, unchanged: 0, failed: 0, missingKind: 0, planned: 0 },
    errors: [],
    live: [],
  };
  const served = new Map<string, boolean | undefined>();
  for (const obj of objects) {
    const now = deps.now();
    const base = {
      sourceKey: sourceKeyOf(obj),
      org: deps.orgOf(sourceKeyOf(obj)),
      target: targetOf(obj),
      revision,
      contentHash: contentHashOf(obj),
    };
    const gvk = `${obj.apiVersion}/${obj.kind}`;
    // Discovery that fails (a 503 from an unavailable aggregated API, a timeout) says nothing about the kind:
    // the apply is tried and reports its own error, rather than telling the user to install a CRD.
    if (!served.has(gvk)) served.set(gvk, await deps.driver.servesKind(obj.apiVersion, obj.kind).catch(() => undefined));
    if (served.get(gvk) === false) {
      const message = `the cluster does not serve ${gvk}: install its CRD (for example Kyverno or KServe) to apply ${obj.metadata.name}`;
      report.counts.missingKind++;
      report.errors.push({ code: 'KIND_NOT_SERVED', message });
      report.entries.push({ ...base, syncStatus: 'SyncFailed', health: 'Missing', conditions: [condition('Ready', 'False', 'KindNotServed', message, now)] });
      continue;
    }
    try {
      const outcome = await deps.driver.apply(obj, { force: true });
      report.counts[outcome.action]++;
      if (outcome.live) report.live.push(outcome.live);
      if (outcome.action !== 'planned') report.counts.applied++;
      const health = outcome.live ? deps.healthOf(outcome.live) : { status: 'Unknown' as const, message: 'plan-only: not applied' };
      const planned = outcome.action === 'planned';
      report.entries.push({
        ...base,
        syncStatus: planned ? 'Planned' : 'Synced',
        health: health.status,
        conditions: [condition('Ready', planned ? 'Unknown' : 'True', planned ? 'PlanOnly' : 'Applied', planned ? health.message : `applied at ${revision}`, now)],
      });
    } catch (err) {
      const message = `${objectIdentity(obj)}: ${errorMessage(err)}`;
      report.counts.failed++;
      report.errors.push({ code: isKradleError(err) ? err.code : 'APPLY_FAILED', message });
      report.entries.push({ ...base, syncStatus: 'SyncFailed', health: 'Unknown', conditions: [condition('Ready', 'False', 'ApplyFailed', message, now)] });
    }
  }
  return report;
}

/**
 * Deletes objects that left the desired state, dependents first. An object whose live copy says
 * `kradle.a5c.ai/prune: disabled` is left in place and only forgotten; it is reported as kept.
 */
export async function pruneObjects(
  targets: readonly InventoryEntry['target'][],
  driver: ClusterDriver,
): Promise<{ pruned: InventoryEntry['target'][]; kept: InventoryEntry['target'][]; errors: { code: string; message: string }[] }> {
  const asObjects = targets.map(
    (t): KubeObject => ({ apiVersion: t.apiVersion, kind: t.kind, metadata: { name: t.name, ...(t.namespace ? { namespace: t.namespace } : {}) } }),
  );
  const pruned: InventoryEntry['target'][] = [];
  const kept: InventoryEntry['target'][] = [];
  const errors: { code: string; message: string }[] = [];
  for (const obj of sortForPrune(asObjects)) {
    try {
      const live = await driver.get(objectRef(obj));
      if (live?.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) {
        kept.push(targetOf(obj));
        continue;
      }
      await driver.delete(objectRef(obj));
      pruned.push(targetOf(obj));
    } catch (err) {
      errors.push({ code: 'PRUNE_FAILED', message: `${objectIdentity(obj)}: ${errorMessage(err)}` });
    }
  }
  return { pruned, kept, errors };
}
