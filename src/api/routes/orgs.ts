import { BadRequestError, ConflictError, ValidationError, WaitingError } from '../../errors/index.ts';
import { API_VERSION, DNS1123_LABEL, PLATFORM_NAMESPACE, resourceKey, tenantNamespace } from '../../kinds/index.ts';
import { createSchemaValidator } from '../../schema/index.ts';
import { canActOn } from '../auth/authorize.ts';
import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import { tenantNamespaceOf } from '../../loader/tenant-namespace.ts';
import type { ApiDeps } from '../deps.ts';
import { kindOf } from '../documents.ts';
import type { ResourceService } from '../resource-service.ts';
import { capErrors, inOrg, runView } from './error-cap.ts';
import { actorOf, intQuery, queryString, timeQuery } from './helpers.ts';
import { setWarningHeaders } from '../warning-header.ts';

const validator = createSchemaValidator();

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}

/** Organizations, and the two dashboard calls: summary and resource tree. */
export function orgRoutes(deps: ApiDeps, svc: ResourceService): RouteDef[] {
  const { store, config } = deps;
  return [
    {
      method: 'GET', path: '/api/orgs', auth: 'any', summary: 'List organizations the token may see',
      async handler(ctx) {
        const state = config.current();
        const docs = new Map((state?.byKind('Organization') ?? []).map((d) => [String(d.object.spec.slug ?? d.id.name), d.object]));
        const organizations = (state?.orgs() ?? [])
          .filter((slug) => canActOn(ctx.state.principal!, slug))
          .map((slug) => ({ slug, displayName: docs.get(slug)?.spec.displayName ?? slug, namespace: tenantNamespaceOf(state, slug) }));
        ctx.body = { organizations };
      },
    },
    {
      method: 'POST', path: '/api/orgs', auth: 'platform-write', summary: 'Create an organization ({slug, displayName}) as a commit',
      async handler(ctx) {
        const body = await readJson(ctx);
        const slug = requireString(body, 'slug');
        if (!DNS1123_LABEL.test(slug)) throw new ValidationError('slug must be a DNS-1123 label', { details: [{ code: 'SLUG', message: 'slug must be a DNS-1123 label', field: 'slug' }] });
        // Creating is not replacing: the existing document (budgets, quotas, ...) would be overwritten by this bare one.
        if (config.current()?.orgs().includes(slug)) throw new ConflictError(`organization ${slug} already exists`);
        const namespace = tenantNamespace(slug);
        const doc = { apiVersion: API_VERSION, kind: 'Organization', metadata: { name: slug, namespace: PLATFORM_NAMESPACE }, spec: { displayName: requireString(body, 'displayName'), namespaceName: namespace, slug } };
        const issues = validator.validate(doc);
        if (issues.length) throw new ValidationError('invalid organization', { details: issues.map((i) => ({ code: 'SCHEMA', message: i.message, field: i.pointer })) });
        if (!deps.writer) throw new WaitingError('write-back to the config repo is not configured on this server');
        const out = await deps.writer.write({ operation: 'apply', org: slug, kind: 'Organization', name: slug, resource: doc, mode: 'commit', author: { name: actorOf(ctx).subject } });
        ctx.status = 201;
        ctx.body = { organization: doc, namespace, ...out, warnings: out.warnings ?? [] };
        setWarningHeaders(ctx, out.warnings);
      },
    },
    {
      method: 'GET', path: '/api/orgs/:org/summary', auth: 'org-read',
      summary: 'Dashboard summary: counts by kind, sync and health status; synced revision; last sync run and its errors',
      async handler(ctx) {
        const org = ctx.params.org!;
        const desired = config.current()?.byOrg(org) ?? [];
        const inventory = await store.inventory.list({ org });
        const lastRun = await store.syncRuns.latest();
        const status = deps.sync.status();
        const configErrorsOf = (o: string) => {
          const capped = capErrors(config.lastError().filter(inOrg(o)));
          return { configErrors: capped.errors, configErrorCount: capped.errorCount };
        };
        ctx.body = {
          org,
          revision: config.current()?.revision,
          syncedRevision: status.syncedRevision,
          resources: { total: desired.length, byKind: countBy(desired, (d) => d.id.kind) },
          objects: { total: inventory.length, bySyncStatus: countBy(inventory, (e) => e.syncStatus), byHealth: countBy(inventory, (e) => e.health) },
          lastSyncRun: lastRun ? runView(lastRun, inOrg(org)) : null,
          ...configErrorsOf(org),
        };
      },
    },
    {
      method: 'GET', path: '/api/orgs/:org/resources/:kind/:name/tree', auth: 'org-read',
      summary: 'A resource, the native objects it produced (health, sync status, revision) and its recent events',
      async handler(ctx) {
        const { org, name } = ctx.params as { org: string; name: string };
        const def = kindOf(ctx.params.kind);
        const { resource } = await svc.get(org, def.kind, name);
        const key = resourceKey({ kind: def.kind, namespace: resource.metadata.namespace ?? tenantNamespaceOf(config.current(), org), name });
        const objects = (await store.inventory.list({ sourceKey: key })).map((e) => ({
          target: e.target, health: e.health, syncStatus: e.syncStatus, revision: e.revision, reason: e.reason, message: e.message, updatedAt: e.updatedAt,
        }));
        // Recent events only: read a bounded window rather than the org's whole history.
        const latest = await store.events.latestSeq();
        const window = await store.events.since(Math.max(0, latest - 2000), { org, limit: 2000 });
        const events = window.filter((e) => e.kind === def.kind && e.name === name).slice(-50);
        ctx.body = { resource, objects, events };
      },
    },
    {
      method: 'GET', path: '/api/orgs/:org/audit', auth: 'org-read', runtimeOnly: true,
      summary: 'Audit log of the org (spec §13: action, since, until, limit, offset), oldest first unless order=desc',
      async handler(ctx) {
        const order = queryString(ctx, 'order');
        if (order !== undefined && order !== 'asc' && order !== 'desc') throw new BadRequestError('order must be asc or desc');
        const sort = order as 'asc' | 'desc' | undefined;
        const filter = { action: queryString(ctx, 'action'), since: timeQuery(ctx, 'since'), until: timeQuery(ctx, 'until'), limit: intQuery(ctx, 'limit', 1), offset: intQuery(ctx, 'offset', 0), order: sort };
        ctx.body = { items: await store.audit.query({ org: ctx.params.org!, ...filter }) };
      },
    },
  ];
}
