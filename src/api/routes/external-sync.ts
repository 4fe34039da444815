import { BadRequestError, ValidationError } from '../../errors/index.ts';
import { createExternalSync, type ConfigWrite, type ExternalSyncDeps, type SyncInput } from '../../external/index.ts';
import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
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

/** POST /api/orgs/:org/external/sync (spec §2.1 #34, §11): upsert a resource from an external backend. */
export function externalSyncRoutes(deps: ApiDeps): RouteDef[] {
  const sync = createExternalSync(externalDeps(deps));
  return [
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
