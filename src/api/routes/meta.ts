import { setTimeout as delay } from 'node:timers/promises';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import type { ApiMetrics } from '../metrics.ts';

const READY_STORE_DEADLINE_MS = 1000;

interface Check {
  ok: boolean;
  message?: string;
}

/** Liveness, readiness (store, source, sync, cluster each reported), Prometheus metrics. */
export function metaRoutes(deps: ApiDeps, metrics: ApiMetrics, openapi: () => unknown): RouteDef[] {
  return [
    {
      method: 'GET', path: '/healthz', auth: 'public', summary: 'Liveness: the process answers',
      async handler(ctx) {
        ctx.body = { ok: true };
      },
    },
    {
      method: 'GET', path: '/readyz', auth: 'public', summary: 'Readiness: store, source, sync and cluster each reported (503 when one is down), and this replica\'s role: leader or follower',
      async handler(ctx) {
        let store: Check = { ok: true };
        // Readiness answers within a second whatever the database does: a frozen one is reported, not waited on.
        const answered = await Promise.race([deps.store.ping().then(() => true, () => false), delay(READY_STORE_DEADLINE_MS, false, { ref: false })]);
        if (!answered) store = { ok: false, message: `store does not answer within ${READY_STORE_DEADLINE_MS} ms` };
        const s = deps.sync.status();
        const checks = {
          store,
          source: { ok: s.sourceReachable !== false, ...(s.sourceReachable === false ? { message: 'config source unreachable' } : {}) },
          sync: { ok: s.state !== 'Stopped', state: s.state, ...(s.message ? { message: s.message } : {}) },
          // Plan-only is how the server was started, not an outage: ready, and said so.
          cluster: s.mode === 'plan-only'
            ? { ok: true, mode: 'plan-only', message: 'no cluster connected (plan-only)' }
            : { ok: s.clusterReachable, ...(s.clusterReachable ? {} : { message: 'cluster unreachable' }) },
        };
        const ok = Object.values(checks).every((c) => c.ok);
        ctx.status = ok ? 200 : 503;
        ctx.body = { ok, role: s.leader ? 'leader' : 'follower', checks };
      },
    },
    {
      method: 'GET', path: '/metrics', auth: 'public', summary: 'Prometheus metrics',
      async handler(ctx) {
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
      },
    },
    {
      method: 'GET', path: '/openapi.json', auth: 'public', summary: 'This API, as OpenAPI 3.1',
      async handler(ctx) {
        ctx.body = openapi();
      },
    },
  ];
}
