import { BadRequestError, ForbiddenError, NotFoundError } from '../../errors/index.ts';
import { inOrg, runView } from './error-cap.ts';
import { DNS1123_LABEL, tenantNamespace } from '../../kinds/index.ts';
import type { DesiredResource } from '../../loader/types.ts';
import type { InventoryEntry, Store, StoredResource } from '../../store/types.ts';
import { canActOn } from '../auth/authorize.ts';
import { PLATFORM_ORG, type RouteDef } from '../context.ts';
import { tenantNamespaceOf } from '../../loader/tenant-namespace.ts';
import type { ApiDeps } from '../deps.ts';
import { queryString } from './helpers.ts';

const RECENT_EVENTS = 50;
const EVENT_WINDOW = 2000;
// Worst first: a resource shows the worst state among the objects it produced.
export const SYNC_ORDER = ['SyncFailed', 'OutOfSync', 'Planned', 'Pruned', 'Synced'];
export const HEALTH_ORDER = ['Degraded', 'Missing', 'Progressing', 'Suspended', 'Unknown', 'Healthy'];
const PENDING_IMPORT = new Set([undefined, 'Pending', 'AwaitingReview']);

function worst(values: string[], order: string[], none: string): string {
  if (values.length === 0) return none;
  return values.reduce((a, b) => (order.indexOf(a) <= order.indexOf(b) ? a : b));
}

export function resourceRow(d: DesiredResource, objects: readonly InventoryEntry[]) {
  return {
    name: d.id.name,
    source: d.source.path,
    syncStatus: worst(objects.map((o) => o.syncStatus), SYNC_ORDER, 'Unknown'),
    health: worst(objects.map((o) => o.health), HEALTH_ORDER, 'Unknown'),
    objects: objects.length,
  };
}

async function allOf(store: Store, kind: string, org: string): Promise<StoredResource[]> {
  const items: StoredResource[] = [];
  let cont: string | undefined;
  do {
    const page = await store.resources.list(kind, { namespace: tenantNamespace(org), limit: 1000, continue: cont });
    items.push(...page.items);
    cont = page.continue;
  } while (cont);
  return items;
}

/** GET /api/controller: the controller UI model (spec §2.1 #2) in one call. */
export function controllerRoutes(deps: ApiDeps): RouteDef[] {
  const { store, config } = deps;

  async function orgModel(org: string, latestSeq: number) {
    const desired = config.current()?.byOrg(org) ?? [];
    const byKey = new Map<string, InventoryEntry[]>();
    for (const e of await store.inventory.list({ org })) byKey.set(e.sourceKey, [...(byKey.get(e.sourceKey) ?? []), e]);
    const resources: Record<string, ReturnType<typeof resourceRow>[]> = {};
    for (const d of [...desired].sort((a, b) => (a.id.name < b.id.name ? -1 : 1))) (resources[d.id.kind] ??= []).push(resourceRow(d, byKey.get(d.key) ?? []));
    const approvals = (await allOf(store, 'AgentApproval', org)).filter((a) => !a.status.phase || a.status.phase === 'Pending');
    const imports = (await allOf(store, 'AgentRunMemoryImport', org)).filter((m) => PENDING_IMPORT.has(m.status.phase as string | undefined));
    // A bounded window: the UI shows the latest events, never the org's whole history.
    const events = (await store.events.since(Math.max(0, latestSeq - EVENT_WINDOW), { org, limit: EVENT_WINDOW })).slice(-RECENT_EVENTS).reverse();
    return { org, namespace: tenantNamespaceOf(config.current(), org), resources, pendingApprovals: approvals, pendingMemoryImports: imports, recentEvents: events };
  }

  return [
    {
      method: 'GET', path: '/api/controller', auth: 'any',
      summary: 'Controller UI model (?org=): visible orgs, resources by kind with sync/health, sync status, pending approvals and memory imports, recent events',
      async handler(ctx) {
        const asked = queryString(ctx, 'org');
        if (ctx.query.org !== undefined && (asked === undefined || !DNS1123_LABEL.test(asked))) {
          throw new BadRequestError('org must be an org slug (DNS-1123 label)', { details: [{ code: 'ORG', message: 'malformed org', field: 'org' }] });
        }
        const principal = ctx.state.principal!;
        const state = config.current();
        const visible = (state?.orgs() ?? []).filter((slug) => canActOn(principal, slug));
        if (asked && !canActOn(principal, asked)) throw new ForbiddenError(`the token is not valid for org ${asked}`);
        if (asked && !visible.includes(asked)) throw new NotFoundError(`organization ${asked} not found`);
        const names = new Map((state?.byKind('Organization') ?? []).map((d) => [d.org ?? d.id.name, d.object.spec.displayName]));
        const latest = await store.events.latestSeq();
        const models = [];
        for (const org of asked ? [asked] : visible) models.push(await orgModel(org, latest));
        const s = deps.sync.status();
        // The run's errors name files of every org: an org token sees only those of its own org, as on /api/sync and the summary.
        const lastRun = s.lastRun && runView(s.lastRun, principal.org === PLATFORM_ORG ? undefined : inOrg(principal.org));
        ctx.body = {
          orgs: visible.map((slug) => ({ slug, displayName: names.get(slug) ?? slug, namespace: tenantNamespaceOf(state, slug) })),
          sync: { state: s.state, mode: s.mode, clusterReachable: s.clusterReachable, revision: state?.revision, syncedRevision: s.syncedRevision, fetchedRevision: s.fetchedRevision, lastRun: lastRun ?? null, message: s.message },
          organizations: models,
        };
      },
    },
  ];
}
