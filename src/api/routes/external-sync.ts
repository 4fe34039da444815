import { BadRequestError, NotFoundError, UnauthorizedError, ValidationError, WaitingError } from '../../errors/index.ts';
import { createExternalSync, createWebhookIntake, type ConfigWrite, type ExternalSyncDeps, type SyncInput } from '../../external/index.ts';
import { readJson, readRaw, requireString } from '../body.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import { verifyHmac } from '../../webhooks/index.ts';
import type { ApiDeps } from '../deps.ts';
import { kindOf, normalizeDocument } from '../documents.ts';
import { actorOf } from './helpers.ts';

/** The external domain's dependencies from the API's: config writes go through the writer port as commits. */
export function externalDeps(deps: ApiDeps): ExternalSyncDeps {
  const writer = deps.writer;
  const writeConfig: ConfigWrite | undefined = writer && (async (r) => {
    const out = await writer.write({ operation: 'apply', org: r.org, kind: r.kind, name: r.name, resource: r.resource, mode: 'commit', author: { name: r.author }, message: r.message });
    return { commit: out.commit, path: out.path };
  });
  return { store: deps.store, desired: deps.config.current, writeConfig, clock: deps.clock && (() => deps.clock!.now()) };
}

/** `{bindingName, kind, localName, spec, externalEnvelope: {id, version}}` checked into a sync input (400/422). */
export function syncInputOf(org: string, body: Record<string, unknown>): SyncInput {
  const bindingName = requireString(body, 'bindingName');
  const def = kindOf(requireString(body, 'kind'));
  const localName = requireString(body, 'localName');
  if (!body.spec || typeof body.spec !== 'object' || Array.isArray(body.spec)) throw new BadRequestError('spec must be an object', { details: [{ code: 'SHAPE', message: 'spec must be an object', field: 'spec' }] });
  const e = body.externalEnvelope as Record<string, unknown> | undefined;
  const okVersion = (v: unknown) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v !== '');
  if (!e || typeof e !== 'object' || typeof e.id !== 'string' || e.id === '' || !okVersion(e.version)) {
    throw new ValidationError('externalEnvelope needs {id, version}', { details: [{ code: 'REQUIRED', message: 'externalEnvelope.id (string) and externalEnvelope.version (number or string) are required', field: 'externalEnvelope' }] });
  }
  const incoming = normalizeDocument(org, { kind: def.kind, metadata: { name: localName }, spec: body.spec });
  return { bindingName, def, incoming, envelope: { id: e.id, version: e.version as number | string } };
}

const DELIVERY_ID = /^[\w.:-]{1,128}$/;

/** The binding's webhook secret: the Secret named by `spec.webhookSecretRef` (`{name, key?}`, key `webhook-secret`). */
async function bindingSecret(deps: ApiDeps, org: string, binding: string): Promise<string> {
  const doc = deps.config.current()?.get('ExternalBackendBinding', org, binding);
  if (!doc) throw new NotFoundError(`ExternalBackendBinding ${binding} not found in org ${org}`);
  const ref = doc.object.spec.webhookSecretRef;
  const name = typeof ref === 'string' ? ref : (ref as { name?: unknown } | undefined)?.name;
  const key = (ref as { key?: unknown } | undefined)?.key;
  if (typeof name !== 'string' || !name) throw new WaitingError(`ExternalBackendBinding ${org}/${binding} names no spec.webhookSecretRef: its webhooks cannot be verified`);
  if (!deps.secrets) throw new WaitingError('no Secret store is configured on this server to read webhook secrets');
  const secret = await deps.secrets.read(org, name, typeof key === 'string' ? key : 'webhook-secret');
  if (!secret) throw new WaitingError(`Secret ${name} of org ${org} has no ${typeof key === 'string' ? key : 'webhook-secret'} key`);
  return secret;
}

function deliveryOf(ctx: ApiContext): { deliveryId: string; event: string } {
  const deliveryId = ctx.get('x-github-delivery') || ctx.get('x-gitea-delivery') || ctx.get('x-kradle-delivery');
  if (!DELIVERY_ID.test(deliveryId)) throw new BadRequestError('a delivery id header (X-GitHub-Delivery, X-Gitea-Delivery or X-Kradle-Delivery) of at most 128 word characters is required');
  return { deliveryId, event: ctx.get('x-github-event') || ctx.get('x-gitea-event') || ctx.get('x-kradle-event') || 'sync' };
}

/** POST /api/orgs/:org/external/sync (spec §2.1 #34, §11) and inbound provider webhooks (§3 #11). */
export function externalSyncRoutes(deps: ApiDeps): RouteDef[] {
  const sync = createExternalSync(externalDeps(deps));
  const intake = createWebhookIntake(externalDeps(deps));
  return [
    {
      method: 'POST', path: '/api/orgs/:org/external/webhooks/:binding', auth: 'hmac',
      summary: 'Inbound provider webhook for an ExternalBackendBinding: HMAC-verified with the Secret of spec.webhookSecretRef (X-Hub-Signature-256 or X-Gitea-Signature), recorded once per delivery id as an ExternalWebhookDelivery, then synced as POST .../external/sync',
      async handler(ctx) {
        const { org, binding } = ctx.params as { org: string; binding: string };
        const secret = await bindingSecret(deps, org, binding);
        const raw = await readRaw(ctx);
        if (!verifyHmac(secret, raw, ctx.get('x-hub-signature-256') || ctx.get('x-gitea-signature') || undefined)) throw new UnauthorizedError('webhook signature missing or invalid');
        let payload: unknown;
        try {
          payload = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new BadRequestError('the webhook body must be JSON');
        }
        ctx.body = await intake.receive(org, binding, { ...deliveryOf(ctx), payload }, (body) => syncInputOf(org, body));
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/external/sync', auth: 'org-write',
      summary: 'Upsert from an external backend {bindingName, kind, localName, spec, externalEnvelope:{id, version}}: stale versions ignored, conflicts recorded (§11), config kinds committed',
      async handler(ctx) {
        const org = ctx.params.org!;
        const input = syncInputOf(org, await readJson(ctx));
        ctx.body = await sync.sync(org, input, actorOf(ctx).subject);
      },
    },
  ];
}
