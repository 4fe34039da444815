import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import type { ApiMetrics } from '../metrics.ts';

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
        try {
          await deps.store.ping();
        } catch {
          store = { ok: false, message: 'store does not answer' };
        }
        const s = deps.sync.status();
        const checks = {
          store,
          source: { ok: s.sourceReachable !== false, ...(s.sourceReachable === false ? { message: 'config source unreachable' } : {}) },
          sync: { ok: s.state !== 'Stopped', state: s.state, ...(s.message ? { message: s.message } : {}) },
          cluster: { ok: s.clusterReachable, ...(s.clusterReachable ? {} : { message: 'cluster unreachable' }) },
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
