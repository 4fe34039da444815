import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { intQuery } from './helpers.ts';

/** Sync status, sync now, run history and previews of a revision (for pull-request checks). */
export function syncRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET', path: '/api/sync', auth: 'any', summary: 'Sync status: state, synced and fetched revisions, last run',
      async handler(ctx) {
        const { lastRun, ...status } = deps.sync.status();
        // The run's errors may name any org's files: only platform tokens get them.
        const platform = ctx.state.principal?.org === '*';
        ctx.body = { ...status, lastRun: lastRun && (platform ? lastRun : { ...lastRun, errors: [] }), configErrorCount: deps.config.lastError().length };
      },
    },
    {
      method: 'POST', path: '/api/sync', auth: 'platform-write', summary: 'Sync now (fetch and apply); 202',
      async handler(ctx) {
        await deps.sync.trigger('api');
        ctx.status = 202;
        ctx.body = { triggered: true };
      },
    },
    {
      method: 'GET', path: '/api/sync/runs', auth: 'platform-read', summary: 'Recent sync runs, newest first (?limit=)',
      async handler(ctx) {
        ctx.body = { items: await deps.store.syncRuns.list({ limit: Math.min(intQuery(ctx, 'limit', 1) ?? 20, 500) }) };
      },
    },
    {
      method: 'POST', path: '/api/previews', auth: 'platform-read', summary: 'Validate and plan head against base ({base, head}) without applying',
      async handler(ctx) {
        const body = await readJson(ctx);
        ctx.body = await deps.sync.preview(requireString(body, 'base'), requireString(body, 'head'));
      },
    },
  ];
}
