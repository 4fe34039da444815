import { BadRequestError } from '../errors/index.ts';
import { PLATFORM_ORG, type RouteDef } from '../api/context.ts';
import type { ApiDeps } from '../api/deps.ts';
import { HEALTH_ORDER, SYNC_ORDER, resourceRow } from '../api/routes/controller.ts';
import { intQuery, queryString } from '../api/routes/helpers.ts';
import type { InventoryEntry } from '../store/types.ts';

const MAX_PAGE = 500;

/** Worst first (failing sync, then bad health), then kind and name: what needs a look comes up first. */
function rank(r: { syncStatus: string; health: string }): number {
  return SYNC_ORDER.indexOf(r.syncStatus) * 100 + HEALTH_ORDER.indexOf(r.health);
}

/**
 * GET /api/orgs/:org/resource-index: one page of an org's config resources with their worst sync and health,
 * filtered and searched on the server, so an org of 10,000 resources sends the browser 100 rows, not 10,000.
 */
export function consoleRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET', path: '/api/orgs/:org/resource-index', auth: 'org-read',
      summary: 'One page of the org\'s config resources, worst first, with facets (?kind=, q= name or file substring, status=, limit, offset) and the org\'s sync errors',
      async handler(ctx) {
        const org = ctx.params.org!;
        const kind = queryString(ctx, 'kind');
        const q = queryString(ctx, 'q')?.toLowerCase();
        const status = queryString(ctx, 'status');
        const limit = Math.min(intQuery(ctx, 'limit', 1) ?? 100, MAX_PAGE);
        const offset = intQuery(ctx, 'offset', 0) ?? 0;
        if (status && !SYNC_ORDER.includes(status) && !HEALTH_ORDER.includes(status)) throw new BadRequestError(`status must be one of ${[...SYNC_ORDER, ...HEALTH_ORDER].join(', ')}`);
        const state = deps.config.current();
        const byKey = new Map<string, InventoryEntry[]>();
        for (const e of await deps.store.inventory.list({ org })) (byKey.get(e.sourceKey) ?? byKey.set(e.sourceKey, []).get(e.sourceKey)!).push(e);
        const kinds: Record<string, number> = {};
        const counts: Record<string, number> = {};
        const rows = [];
        for (const d of state?.byOrg(org) ?? []) {
          const row = { kind: d.id.kind, namespace: d.id.namespace, line: d.source.line, ...resourceRow(d, byKey.get(d.key) ?? []) };
          kinds[row.kind] = (kinds[row.kind] ?? 0) + 1;
          counts[row.syncStatus] = (counts[row.syncStatus] ?? 0) + 1;
          counts[row.health] = (counts[row.health] ?? 0) + 1;
          if (kind && row.kind !== kind) continue;
          if (status && row.syncStatus !== status && row.health !== status) continue;
          if (q && !row.name.toLowerCase().includes(q) && !row.source.toLowerCase().includes(q)) continue;
          rows.push(row);
        }
        rows.sort((a, b) => rank(a) - rank(b) || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : 1));
        const s = deps.sync.status();
        const own = (path?: string) => ctx.state.principal!.org === PLATFORM_ORG ? path === undefined || path.startsWith(`orgs/${org}/`) : path?.startsWith(`orgs/${org}/`);
        // The errors of the revision last refused, while it is the latest attempt (a good one clears them).
        const errors = deps.config.lastError().filter((e) => own(e.path));
        ctx.body = {
          org, revision: state?.revision ?? null, total: rows.length, offset, limit, kinds, counts,
          items: rows.slice(offset, offset + limit),
          sync: { state: s.state, syncedRevision: s.syncedRevision ?? null, fetchedRevision: s.fetchedRevision ?? null, outcome: s.lastRun?.outcome ?? null, finishedAt: s.lastRun?.finishedAt ?? null },
          errors: errors.slice(0, 100),
        };
      },
    },
  ];
}
