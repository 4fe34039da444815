import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/types.ts';

/**
 * Kradle resources (not their objects) by kind, org and sync status, from the inventory: a resource is Synced
 * when every object it produced is, else it takes the status of its objects that are not.
 */
const RESOURCE_COUNTS = `
  SELECT kind, org, status, count(*)::int AS count FROM (
    SELECT split_part(source_key, '/', 1) AS kind, coalesce(org, '') AS org,
           CASE WHEN bool_and(sync_status = 'Synced') THEN 'Synced' ELSE min(sync_status) FILTER (WHERE sync_status <> 'Synced') END AS status
    FROM inventory GROUP BY source_key, org
  ) r GROUP BY kind, org, status`;

/** One registry per app, so two apps in one process (tests, blue/green) never share counters. */
export interface ApiMetrics {
  readonly registry: Registry;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  sseClients: Gauge;
  writebackCommits: Counter;
  writebackConflicts: Counter;
  /** For the sync loop: one finished run. */
  recordSync(outcome: string, seconds: number): void;
  /** For the sync loop: resources by kind/org/status after a run (replaces the previous figures). */
  setResourceCounts(rows: { kind: string; org: string; status: string; count: number }[]): void;
  /**
   * Called after every sync pass: kradle_resources is read from the inventory at the next scrape, once however
   * many passes ran since, so a pass costs no scan of every inventory row (the store is one connection on PGlite).
   */
  resourcesChanged(store: Pick<Store, 'query'>): void;
  recordGitFetch(outcome: 'success' | 'failure'): void;
  /** For the sync loop: a fetch found the revision already synced, so no pass ran and no run was recorded. */
  recordUnchangedFetch(): void;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  const http = new Histogram({
    name: 'kradle_http_request_duration_seconds',
    help: 'HTTP request duration by route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const sseClients = new Gauge({ name: 'kradle_sse_clients', help: 'Connected SSE clients', registers: [registry] });
  const writebackCommits = new Counter({
    name: 'kradle_writeback_commits_total',
    help: 'Config writes that became commits',
    registers: [registry],
  });
  const writebackConflicts = new Counter({
    name: 'kradle_writeback_conflicts_total',
    help: 'Config writes refused with a conflict (stale If-Match or retries exhausted)',
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'kradle_sync_duration_seconds',
    help: 'Sync run duration by outcome',
    labelNames: ['outcome'],
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  let staleFrom: Pick<Store, 'query'> | undefined;
  const resources = new Gauge({
    name: 'kradle_resources',
    help: 'Resources by kind, org and sync status',
    labelNames: ['kind', 'org', 'status'],
    registers: [registry],
    async collect() {
      const store = staleFrom;
      if (!store) return;
      staleFrom = undefined;
      // A store that fails leaves the last figures, and the next scrape tries again.
      const rows = await store.query<{ kind: string; org: string; status: string; count: number }>(RESOURCE_COUNTS).catch(() => undefined);
      if (rows) setResourceCounts(rows);
      else staleFrom ??= store;
    },
  });
  const gitFetches = new Counter({
    name: 'kradle_git_fetches_total',
    help: 'Fetches of the config repo by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const unchangedFetches = new Counter({
    name: 'kradle_sync_unchanged_fetches_total',
    help: 'Fetches (poll, webhook, ref move) that found the revision already synced: no sync run recorded',
    registers: [registry],
  });
  function setResourceCounts(rows: { kind: string; org: string; status: string; count: number }[]): void {
    resources.reset();
    for (const r of rows) resources.set({ kind: r.kind, org: r.org, status: r.status }, r.count);
  }
  return {
    registry,
    observeRequest: (method, route, status, seconds) => http.observe({ method, route, status: String(status) }, seconds),
    sseClients,
    writebackCommits,
    writebackConflicts,
    recordSync: (outcome, seconds) => syncDuration.observe({ outcome }, seconds),
    setResourceCounts,
    resourcesChanged(store) {
      staleFrom = store;
    },
    recordGitFetch: (outcome) => gitFetches.inc({ outcome }),
    recordUnchangedFetch: () => unchangedFetches.inc(),
  };
}
