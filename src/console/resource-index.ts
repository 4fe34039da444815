import { BadRequestError } from '../errors/index.ts';
import { PLATFORM_ORG, type RouteDef } from '../api/context.ts';
import type { ApiDeps } from '../api/deps.ts';
import { HEALTH_ORDER, SYNC_ORDER } from '../api/routes/controller.ts';
import { intQuery, queryString } from '../api/routes/helpers.ts';
import { createOrgIndexCache } from './org-index.ts';

const MAX_PAGE = 500;

/**
 * GET /api/orgs/:org/resource-index: one page of an org's config resources with their worst sync and health,
 * filtered and searched on the server over a cached, pre-sorted index, so an org of 10,000 resources sends
 * the browser 100 rows, not 10,000, and a keystroke costs a scan of rows in memory, not of the inventory.
 */
export function consoleRoutes(deps: ApiDeps): RouteDef[] {
  const indexes = createOrgIndexCache(deps);
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
        const index = await indexes.get(org);
        const rows = kind || q || status
          ? index.rows.filter((row) => (!kind || row.kind === kind)
            && (!status || row.syncStatus === status || row.health === status)
            && (!q || row.name.toLowerCase().includes(q) || row.source.toLowerCase().includes(q)))
          : index.rows;
        const s = deps.sync.status();
        const own = (path?: string) => ctx.state.principal!.org === PLATFORM_ORG ? path === undefined || path.startsWith(`orgs/${org}/`) : path?.startsWith(`orgs/${org}/`);
        // The errors of the revision last refused, while it is the latest attempt (a good one clears them).
        const errors = deps.config.lastError().filter((e) => own(e.path));
        ctx.body = {
          org, revision: index.revision, total: rows.length, offset, limit, kinds: index.kinds, counts: index.counts,
          items: rows.slice(offset, offset + limit),
          sync: { state: s.state, syncedRevision: s.syncedRevision ?? null, fetchedRevision: s.fetchedRevision ?? null, outcome: s.lastRun?.outcome ?? null, finishedAt: s.lastRun?.finishedAt ?? null },
          errors: errors.slice(0, 100),
        };
      },
    },
  ];
}
