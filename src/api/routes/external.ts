import { ConflictError, NotFoundError } from '../../errors/index.ts';
import { createConflictResolver } from '../../external/index.ts';
import { tenantNamespace, type Resource } from '../../kinds/index.ts';
import { readJson, requireString } from '../body.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { externalDeps } from './external-sync.ts';
import { actorOf } from './helpers.ts';

/** Write-intent transitions the API may make (spec §11.3): approval and cancellation only. */
const INTENT_TRANSITIONS: Record<'approve' | 'cancel', { from: string[]; to: string }> = {
  approve: { from: ['PendingApproval'], to: 'ReadyToSend' },
  cancel: { from: ['PendingApproval', 'ReadyToSend', 'Retrying'], to: 'Rejected' },
};

/** External sync: conflict resolution (§11.1–11.2) and write-intent approval (§11.3), on store records. */
export function externalRoutes(deps: ApiDeps): RouteDef[] {
  const { store } = deps;
  const resolver = createConflictResolver(externalDeps(deps));
  const now = () => (deps.clock?.now() ?? new Date()).toISOString();

  async function load(ctx: ApiContext, kind: string) {
    const r = await store.resources.get(kind, tenantNamespace(ctx.params.org!), ctx.params.name!);
    if (!r) throw new NotFoundError(`${kind} ${ctx.params.name} not found in org ${ctx.params.org}`);
    return r;
  }

  function intentRoute(action: 'approve' | 'cancel', byField: string): RouteDef {
    return {
      method: 'POST', path: `/api/orgs/:org/external/write-intents/:name/${action}`, auth: 'org-write',
      summary: `${action === 'approve' ? 'Approve' : 'Cancel'} an ExternalWriteIntent ({${byField}}); 409 on an invalid transition`,
      async handler(ctx) {
        const body = await readJson(ctx);
        const intent = await load(ctx, 'ExternalWriteIntent');
        const phase = String(intent.status.phase ?? 'PendingApproval');
        const t = INTENT_TRANSITIONS[action];
        if (!t.from.includes(phase)) throw new ConflictError(`cannot ${action} a write intent in phase ${phase}`, { details: [{ code: 'INVALID_TRANSITION', message: `${phase} -> ${t.to} is not allowed`, field: 'status.phase' }] });
        const by = typeof body[byField] === 'string' ? (body[byField] as string) : actorOf(ctx).subject;
        const status = { ...intent.status, phase: t.to, [byField]: by, [`${action === 'approve' ? 'approved' : 'cancelled'}At`]: now() };
        ctx.body = await store.resources.updateStatus({ ...intent, status } as Resource, { actor: actorOf(ctx).subject });
      },
    };
  }

  return [
    {
      method: 'POST', path: '/api/orgs/:org/external/conflicts/:name/resolve', auth: 'org-write',
      summary: 'Resolve an open ExternalSyncConflict ({strategy, resolvedValue}): the value is applied (config kinds as a commit, runtime kinds as a guarded write) and the sync state becomes Synced; manual needs resolvedValue; 409 unless Open',
      async handler(ctx) {
        const body = await readJson(ctx);
        const strategy = requireString(body, 'strategy');
        ctx.body = await resolver.resolve(ctx.params.org!, ctx.params.name!, { strategy, resolvedValue: body.resolvedValue }, actorOf(ctx).subject);
      },
    },
    intentRoute('approve', 'approvedBy'),
    intentRoute('cancel', 'cancelledBy'),
  ];
}
