import { NotFoundError, UnauthorizedError, WaitingError } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import { readRaw } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import type { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { verifyHmac } from '../webhooks/signature.ts';

/** Inbound push webhooks from forges, and replay of outbound deliveries. */
export function webhookRoutes(deps: ApiDeps, dispatcher: () => WebhookDispatcher | undefined): RouteDef[] {
  return [
    {
      method: 'POST', path: '/api/webhooks/git', auth: 'hmac',
      summary: 'Push webhook (GitHub X-Hub-Signature-256 or Gitea X-Gitea-Signature): verify and sync now',
      async handler(ctx) {
        if (!deps.gitWebhookSecret) throw new WaitingError('no git webhook secret is configured on this server');
        const raw = await readRaw(ctx);
        const signature = ctx.get('x-hub-signature-256') || ctx.get('x-gitea-signature') || undefined;
        if (!verifyHmac(deps.gitWebhookSecret, raw, signature)) throw new UnauthorizedError('webhook signature missing or invalid');
        const event = ctx.get('x-github-event') || ctx.get('x-gitea-event') || 'push';
        if (event !== 'push') {
          ctx.status = 202;
          ctx.body = { triggered: false, event };
          return;
        }
        await deps.sync.trigger('webhook');
        ctx.status = 202;
        ctx.body = { triggered: true, event };
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/webhooks/deliveries/:name/replay', auth: 'org-write',
      summary: 'Send a recorded webhook delivery again (a new WebhookDelivery attempt record)',
      async handler(ctx) {
        const d = dispatcher();
        if (!d) throw new WaitingError('webhook delivery is not configured on this server');
        const { org, name } = ctx.params as { org: string; name: string };
        const record = await deps.store.resources.get('WebhookDelivery', tenantNamespace(org), name);
        if (!record) throw new NotFoundError(`WebhookDelivery ${name} not found in org ${org}`);
        ctx.status = 202;
        ctx.body = await d.replay(record);
      },
    },
  ];
}
