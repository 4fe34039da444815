import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { BadRequestError } from '../../errors/index.ts';
import { previewMarkdown } from '../../plan/index.ts';
import { ERROR_CAP, runView } from './error-cap.ts';
import { intQuery } from './helpers.ts';
import { within } from '../within.ts';

const MAX_WAIT_SECONDS = 600;

/** Sync status, sync now, run history and previews of a revision (for pull-request checks). */
export function syncRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET', path: '/api/sync', auth: 'any', summary: 'Sync status: state, synced and fetched revisions, last run',
      async handler(ctx) {
        const { lastRun, ...status } = deps.sync.status();
        // The run's errors may name any org's files: only platform tokens get them.
        const platform = ctx.state.principal?.org === '*';
        ctx.body = { ...status, lastRun: lastRun && runView(lastRun, () => platform), configErrorCount: deps.config.lastError().length };
      },
    },
    {
      method: 'POST', path: '/api/sync', auth: 'platform-write',
      summary: 'Sync now (fetch and apply): 202 at once; ?wait=<seconds> (up to 600) answers 200 with the status once the pass ends, or 202 when it has not',
      async handler(ctx) {
        const waitSeconds = Math.min(intQuery(ctx, 'wait', 0) ?? 0, MAX_WAIT_SECONDS);
        // A client that gives up must not leave an unhandled rejection behind: the pass reports its own failure.
        const done = deps.sync.trigger('api', { record: true }).then(() => true, () => true);
        const finished = waitSeconds > 0 && (await within(done, waitSeconds * 1000));
        const { lastRun, ...status } = deps.sync.status();
        ctx.status = finished ? 200 : 202;
        ctx.body = { triggered: true, completed: finished, state: status.state, syncedRevision: status.syncedRevision, ...(finished && lastRun ? { lastRun: { id: lastRun.id, outcome: lastRun.outcome, revision: lastRun.revision } } : {}) };
      },
    },
    {
      method: 'GET', path: '/api/sync/runs', auth: 'platform-read', summary: 'Recent sync runs, newest first (?limit=)',
      async handler(ctx) {
        ctx.body = { items: (await deps.store.syncRuns.list({ limit: Math.min(intQuery(ctx, 'limit', 1) ?? 20, 500) })).map((run) => runView(run)) };
      },
    },
    {
      method: 'GET', path: '/api/sync/runs/:id/errors', auth: 'platform-read', summary: 'Every error of a sync run, paged (?offset=, ?limit= up to 1000)',
      async handler(ctx) {
        const id = Number(ctx.params.id);
        if (!Number.isSafeInteger(id) || id < 1) throw new BadRequestError('the run id must be a positive integer');
        const run = await deps.store.syncRuns.get(id);
        const offset = intQuery(ctx, 'offset', 0) ?? 0;
        const limit = Math.min(intQuery(ctx, 'limit', 1) ?? ERROR_CAP, 1000);
        const items = run.errors.slice(offset, offset + limit);
        ctx.body = { items, total: run.errors.length, offset, ...(offset + items.length < run.errors.length ? { nextOffset: offset + items.length } : {}) };
      },
    },
    {
      method: 'POST', path: '/api/previews', auth: 'platform-read',
      summary: 'Validate and plan head against base ({base, head}) without applying; Accept: text/markdown answers a pull-request comment',
      async handler(ctx) {
        const body = await readJson(ctx);
        const preview = await deps.sync.preview(requireString(body, 'base'), requireString(body, 'head'));
        if (ctx.accepts('application/json', 'text/markdown') === 'text/markdown') {
          ctx.type = 'text/markdown; charset=utf-8';
          ctx.body = previewMarkdown(preview);
          return;
        }
        ctx.body = { base: preview.base, head: preview.head, valid: preview.valid, errors: preview.errors, warnings: preview.warnings, plan: preview.valid ? preview : null };
      },
    },
  ];
}
