import type { ApiDeps } from '../api/deps.ts';
import { HEALTH_ORDER, SYNC_ORDER, resourceRow } from '../api/routes/controller.ts';
import type { DesiredState } from '../loader/types.ts';
import type { InventoryEntry } from '../store/types.ts';

export type IndexRow = ReturnType<typeof resourceRow> & { kind: string; namespace: string; line: number };

/** An org's config resources, worst first, with the facet counts the page shows; built once per version. */
export interface OrgIndex {
  revision: string | null;
  rows: readonly IndexRow[];
  kinds: Record<string, number>;
  counts: Record<string, number>;
}

/**
 * Sync states worst first, with Unknown (a resource none of whose objects is applied yet) after the failing and
 * out-of-sync ones: it wants a look, but less than a failure does.
 */
const SYNC_RANK = [...SYNC_ORDER.slice(0, 2), 'Unknown', ...SYNC_ORDER.slice(2)];

/** Worst first (failing sync, then bad health), then kind and name: what needs a look comes up first. */
function rank(r: { syncStatus: string; health: string }): number {
  return SYNC_RANK.indexOf(r.syncStatus) * 100 + HEALTH_ORDER.indexOf(r.health);
}

function build(state: DesiredState | undefined, org: string, inventory: readonly InventoryEntry[]): OrgIndex {
  const byKey = new Map<string, InventoryEntry[]>();
  for (const e of inventory) (byKey.get(e.sourceKey) ?? byKey.set(e.sourceKey, []).get(e.sourceKey)!).push(e);
  const kinds: Record<string, number> = {};
  const counts: Record<string, number> = {};
  const rows: IndexRow[] = [];
  for (const d of state?.byOrg(org) ?? []) {
    const row = { kind: d.id.kind, namespace: d.id.namespace, line: d.source.line, ...resourceRow(d, byKey.get(d.key) ?? []) };
    kinds[row.kind] = (kinds[row.kind] ?? 0) + 1;
    counts[row.syncStatus] = (counts[row.syncStatus] ?? 0) + 1;
    counts[row.health] = (counts[row.health] ?? 0) + 1;
    rows.push(row);
  }
  rows.sort((a, b) => rank(a) - rank(b) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : 1));
  return { revision: state?.revision ?? null, rows, kinds, counts };
}

const MAX_ORGS = 64;

/**
 * The org page's index, kept per (desired state, inventory version): reading an org's whole inventory and
 * sorting 10,000 rows on every page, search keystroke and live refresh was most of an org page's load time.
 * The version is one aggregate query, so every replica sees a sync's changes on its next request, and
 * concurrent requests for the same version share one build.
 */
export function createOrgIndexCache(deps: Pick<ApiDeps, 'config' | 'store'>) {
  const cache = new Map<string, { state: DesiredState | undefined; version: string; index: Promise<OrgIndex> }>();
  return {
    async get(org: string): Promise<OrgIndex> {
      const state = deps.config.current();
      const version = await deps.store.inventory.version(org);
      const hit = cache.get(org);
      if (hit && hit.state === state && hit.version === version) {
        cache.delete(org);
        cache.set(org, hit);
        return hit.index;
      }
      const index = deps.store.inventory.list({ org }).then((inventory) => build(state, org, inventory));
      cache.delete(org);
      cache.set(org, { state, version, index });
      // A failed build must not stay cached; the oldest org leaves first once many are held.
      index.catch(() => cache.get(org)?.index === index && cache.delete(org));
      if (cache.size > MAX_ORGS) cache.delete(cache.keys().next().value!);
      return index;
    },
  };
}
