import { randomUUID } from 'node:crypto';
import { BadRequestError, NotFoundError, UnauthorizedError, WaitingError, sanitize } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import { readRaw } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { verifyHmac, type WebhookDispatcher } from '../../webhooks/index.ts';

const DELIVERY_ID = /^[\w.:-]{1,128}$/;
const REMEMBERED_DELIVERIES = 1000;

/** Whether a signed push starts a sync: only a push that moves the synced branch does. */
export function pushDecision(raw: Buffer, syncedBranch: string | undefined): { sync: true } | { sync: false; reason: string } {
  let payload: { ref?: unknown; deleted?: unknown };
  try {
    payload = JSON.parse(raw.toString('utf8')) as typeof payload;
  } catch {
    throw new BadRequestError('the push payload is not JSON');
  }
  const ref = typeof payload?.ref === 'string' ? payload.ref : undefined;
  if (ref === undefined) throw new BadRequestError('the push payload has no ref', { details: [{ code: 'REQUIRED', message: 'ref is required', field: 'ref' }] });
  if (!ref.startsWith('refs/heads/')) return { sync: false, reason: `${ref} is not a branch: only pushes to the synced branch start a sync` };
  const branch = ref.slice('refs/heads/'.length);
  // Before the first fetch of a remote without --ref, the synced branch (its default) is not known yet.
  if (syncedBranch && syncedBranch !== 'HEAD' && branch !== syncedBranch) return { sync: false, reason: `branch ${branch} is not the synced branch ${syncedBranch}` };
  if (payload.deleted === true) return { sync: false, reason: `the push deletes branch ${branch}` };
  return { sync: true };
}

/** Delivery ids seen lately: a forge's redelivery of the same push starts nothing new. */
function createDeliveryMemory(size = REMEMBERED_DELIVERIES) {
  const seen = new Set<string>();
  return (id: string): boolean => {
    if (seen.has(id)) return true;
    seen.add(id);
    if (seen.size > size) seen.delete(seen.values().next().value!);
    return false;
  };
}

/** A pull request of the config repo: previewed and posted behind the answer (forges give up after ~10 s). */
function pullRequestPreview(deps: ApiDeps, raw: Buffer, forge: 'github' | 'gitea', delivery: string) {
  if (!deps.pullRequestPreviews) return { previewing: false, reason: 'pull-request previews are not configured on this server' };
  let payload: unknown;
  try {
    payload = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequestError('the webhook body is not JSON');
  }
  return deps.pullRequestPreviews.handle(payload, forge, delivery);
}

/** Inbound push webhooks from forges, and replay of outbound deliveries. */
export function webhookRoutes(deps: ApiDeps, dispatcher: () => WebhookDispatcher | undefined): RouteDef[] {
  const seenBefore = createDeliveryMemory();
  return [
    {
      method: 'POST', path: '/api/webhooks/git', auth: 'hmac',
      summary: 'Push webhook (GitHub X-Hub-Signature-256 or Gitea X-Gitea-Signature): verify, start a sync, answer 202 {delivery} at once',
      async handler(ctx) {
        if (!deps.gitWebhookSecret) throw new WaitingError('no git webhook secret is configured on this server');
        const raw = await readRaw(ctx);
        const signature = ctx.get('x-hub-signature-256') || ctx.get('x-gitea-signature') || undefined;
        if (!verifyHmac(deps.gitWebhookSecret, raw, signature)) throw new UnauthorizedError('webhook signature missing or invalid');
        const event = ctx.get('x-github-event') || ctx.get('x-gitea-event') || 'push';
        const given = ctx.get('x-github-delivery') || ctx.get('x-gitea-delivery');
        const delivery = DELIVERY_ID.test(given) ? given : randomUUID();
        ctx.status = 202;
        if (event === 'pull_request') {
          ctx.body = { triggered: false, event, delivery, ...pullRequestPreview(deps, raw, ctx.get('x-gitea-event') ? 'gitea' : 'github', delivery) };
          return;
        }
        if (event !== 'push') {
          ctx.body = { triggered: false, event, delivery, reason: `${event} events do not start a sync` };
          return;
        }
        const decision = pushDecision(raw, deps.syncedBranch?.());
        if (!decision.sync) {
          ctx.body = { triggered: false, event, delivery, reason: decision.reason };
          return;
        }
        if (DELIVERY_ID.test(given) && seenBefore(given)) {
          ctx.body = { triggered: false, event, delivery, reason: `delivery ${given} was received before` };
          return;
        }
        // Forges give up after ~10 s, and a fetch + sync pass of a large repo takes longer: answer now, sync behind.
        const log = ctx.state.log;
        void deps.sync.trigger('webhook').catch((err: unknown) => log.warn({ delivery, error: sanitize(err instanceof Error ? err.message : String(err)) }, 'sync after git webhook failed'));
        ctx.body = { triggered: true, event, delivery };
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/webhooks/deliveries/:name/replay', auth: 'org-write',
      summary: 'Send the event of a recorded webhook delivery again, as a new delivery with its own id',
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
