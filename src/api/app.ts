import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import { Router } from '@koa/router';
import { BadRequestError, NotFoundError, KradleError } from '../errors/index.ts';
import { DNS1123_LABEL } from '../kinds/index.ts';
import { authorize, canActOn } from './auth/authorize.ts';
import { isStorableText } from './body.ts';
import { withTokenCache } from './auth/token-cache.ts';
import { createTokenService, type TokenService } from './auth/tokens.ts';
import { createSessionService, type SessionService } from './auth/sessions.ts';
import { sessionRoutes } from './auth/session-routes.ts';
import type { ApiContext, ApiState, RouteDef } from './context.ts';
import type { ApiDeps } from './deps.ts';
import { consoleMiddleware, consoleRoutes } from '../console/index.ts';
import { corsMiddleware } from './cors.ts';
import { errorMiddleware } from './error-middleware.ts';
import { conditionalJson } from './etag.ts';
import { createEventHub, type EventHub } from './event-hub.ts';
import { createApiMetrics, type ApiMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { createResourceService } from './resource-service.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { controllerRoutes } from './routes/controller.ts';
import { externalSyncRoutes } from './routes/external-sync.ts';
import { inferenceRoutes } from './routes/inference.ts';
import { repositoryObjectRoutes } from './routes/repository-objects.ts';
import { snapshotRoutes } from './routes/snapshot.ts';
import { eventRoutes } from './routes/events.ts';
import { externalRoutes } from './routes/external.ts';
import { metaRoutes } from './routes/meta.ts';
import { orgRoutes } from './routes/orgs.ts';
import { pullRequestRoutes } from './routes/pull-requests.ts';
import { kindCollection, resourceRoutes } from './routes/resources.ts';
import { secretRoutes } from './routes/secrets.ts';
import { syncRoutes } from './routes/sync.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { tokenRoutes } from './routes/tokens.ts';
import { requireDeclaredOrg } from './routes/helpers.ts';
import type { WebhookDispatcher } from '../webhooks/index.ts';
import { mcpRoutes } from '../mcp/http-route.ts';
import { assistantRoutes } from '../assistant/routes.ts';

export interface ApiApp extends Koa<ApiState> {
  readonly metrics: ApiMetrics;
  readonly tokens: TokenService;
  readonly sessions: SessionService;
  readonly routes: readonly RouteDef[];
  /** The dispatcher the replay route uses; set by the wiring when it runs one. */
  webhookDispatcher?: WebhookDispatcher;
  /** Stops the event hub (closes its store subscription); the HTTP server is the caller's. */
  shutdown(): void;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Path and query values end up as query parameters of the store: a NUL there is a Postgres error (a 500),
 * and an org that cannot be a slug names no org at all, so both are refused before any handler runs.
 */
function checkRequestValues(ctx: ApiContext): void {
  const values = [...Object.values(ctx.params), ...Object.values(ctx.query).flat()];
  if (values.some((v) => typeof v === 'string' && !isStorableText(v))) {
    throw new BadRequestError('the path or query holds a NUL character or an unpaired UTF-16 surrogate');
  }
  const org = ctx.params.org;
  if (org !== undefined && !DNS1123_LABEL.test(org)) {
    throw new BadRequestError(`org ${JSON.stringify(org)} is not an org slug (DNS-1123 label)`, { details: [{ code: 'ORG', message: 'malformed org', field: 'org' }] });
  }
}

class MethodNotAllowedError extends KradleError {
  constructor(method: string, allowed: string[]) {
    super(`method ${method} is not allowed here; allowed: ${allowed.join(', ')}`, { code: 'METHOD_NOT_ALLOWED', status: 405, reason: 'MethodNotAllowed', disposition: 'stalled' });
  }
}

function allRoutes(deps: ApiDeps, app: { metrics: ApiMetrics; hub: EventHub; tokens: TokenService; sessions: SessionService; dispatcher: () => WebhookDispatcher | undefined; openapi: () => unknown }): RouteDef[] {
  const svc = createResourceService(deps, app.metrics);
  return [
    ...metaRoutes(deps, app.metrics, app.openapi),
    ...sessionRoutes(app.sessions, deps.sessionTtlMs),
    ...controllerRoutes(deps),
    ...orgRoutes(deps, svc),
    ...snapshotRoutes(deps),
    ...resourceRoutes(svc),
    ...kindCollection(svc, 'Repository', '/api/orgs/:org/repositories', 'repositories'),
    ...repositoryObjectRoutes(deps),
    ...pullRequestRoutes(deps, svc),
    ...secretRoutes(deps, svc),
    ...externalRoutes(deps),
    ...externalSyncRoutes(deps),
    ...catalogRoutes(deps, svc),
    ...inferenceRoutes(deps),
    ...syncRoutes(deps),
    ...eventRoutes(deps, app.hub, app.metrics),
    ...consoleRoutes(deps),
    ...webhookRoutes(deps, app.dispatcher),
    ...tokenRoutes(app.tokens, deps.config),
    ...mcpRoutes(),
    ...assistantRoutes(deps),
    ...(deps.extraRoutes ?? []),
  ];
}

/** The Koa app of the HTTP API: one error envelope, request ids, logs, metrics, auth per route. */
export function createApiApp(deps: ApiDeps): ApiApp {
  const koa = new Koa<ApiState>();
  koa.proxy = false;
  const metrics = createApiMetrics();
  const tokens = withTokenCache(createTokenService(deps.store));
  const sessions = createSessionService(deps.store, tokens);
  const hub = createEventHub(deps.store.events, deps.logger);
  const app = koa as unknown as ApiApp & { metrics: ApiMetrics; tokens: TokenService; sessions: SessionService; routes: RouteDef[] };
  const routes = allRoutes(deps, { metrics, hub, tokens, sessions, dispatcher: () => app.webhookDispatcher, openapi: () => openApiDocument(routes) });
  const router = new Router<ApiState>();
  for (const r of routes) {
    const guard = authorize(r.auth, { tokens, sessions });
    // The agent and runner routes (auth any, their role checked in the handler) act on the org's stacks, rules
    // and pools whatever their method, so they are checked as the org-read GETs are.
    const declaredOrg = !r.runtimeOnly && ((r.method === 'GET' && r.auth === 'org-read') || (r.auth === 'any' && r.path.startsWith('/api/orgs/:org/')));
    router.register(r.path, [r.method], async (ctx, next) => {
      const c = ctx as unknown as ApiContext;
      c.state.route = r.path;
      await guard(c);
      checkRequestValues(c);
      // After the token check, and only for a token valid for the org (an `any` route answers its own 403 later),
      // so another org's token never learns whether the org exists.
      if (declaredOrg && canActOn(c.state.principal!, c.params.org!)) requireDeclaredOrg(deps.config, c.params.org!);
      await r.handler(c);
      conditionalJson(c);
      return next();
    });
  }

  koa.use(async (ctx, next) => {
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = deps.logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = ctx.state.route ?? 'unmatched';
      metrics.observeRequest(ctx.method, route, ctx.status, seconds);
      // Path templates only: ids in paths are not secret, but query strings may carry anything.
      ctx.state.log.info({ method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  });
  koa.use(errorMiddleware());
  koa.use(corsMiddleware(deps.corsOrigins ?? [], (path) => [...new Set(router.match(path, 'GET').path.flatMap((l) => l.methods))].filter((m) => m !== 'HEAD')));
  koa.use(consoleMiddleware());
  koa.use(router.routes());
  koa.use(async (ctx) => {
    if (ctx.state.route) return;
    const match = router.match(ctx.path, ctx.method);
    if (match.path.length && !match.pathAndMethod.length) {
      const allowed = [...new Set(match.path.flatMap((l) => l.methods))].filter((m) => m !== 'HEAD');
      ctx.set('Allow', allowed.join(', '));
      throw new MethodNotAllowedError(ctx.method, allowed);
    }
    throw new NotFoundError(`no route for ${ctx.method} ${ctx.path}`);
  });

  Object.assign(app, { metrics, tokens, sessions, routes, shutdown: () => hub.close() });
  return app;
}
