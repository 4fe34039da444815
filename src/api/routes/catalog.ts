import { createHash } from 'node:crypto';
import { BadRequestError, NotFoundError } from '../../errors/index.ts';
import { DNS1123_LABEL, normalizeName, tenantNamespace } from '../../kinds/index.ts';
import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import { tenantNamespaceOf } from '../../loader/tenant-namespace.ts';
import type { ApiDeps } from '../deps.ts';
import type { ResourceService } from '../resource-service.ts';
import { actorOf, listQuery, sendPage } from './helpers.ts';
import { kindCollection } from './resources.ts';

export const FEED_LABEL = 'kradle.a5c.ai/feed';

/** Where KServe serves a model, from its name, namespace and protocol (§9.1). */
function endpointOf(namespace: string, name: string, protocol: unknown): string {
  const base = `http://${name}.${namespace}.svc.cluster.local`;
  return protocol === 'v2' ? `${base}/v2/models/${name}/infer` : `${base}/v1/models/${name}:predict`;
}

/**
 * The record name of a published version: readable, and unique per (feed, package, version) by a digest of
 * the three. Normalizing alone folds distinct versions together (`a` 1.0 and `a-1` 0, or names cut at 63
 * characters), and the second would be refused as already published.
 */
export function versionRecordName(feed: string, pkg: string, version: string): string {
  const digest = createHash('sha256').update(`${feed}\0${pkg}\0${version}`).digest('hex').slice(0, 8);
  return `${normalizeName(`${feed}-${pkg}-${version}`).slice(0, 54).replace(/[-.]+$/, '')}-${digest}`;
}

/** Inference (spec §12.1) and artifact (§12.2) routes: configs become commits, published versions are store records. */
export function catalogRoutes(deps: ApiDeps, svc: ResourceService): RouteDef[] {
  const services = kindCollection(svc, 'KradleInferenceService', '/api/orgs/:org/inference/services', 'inference services');
  const withEndpoint = services.map((r) => (r.method === 'GET' && r.path.endsWith('/:name')
    ? { ...r, summary: 'Get an inference service with its resolved endpoint', async handler(ctx: Parameters<RouteDef['handler']>[0]) {
      const { resource, etag } = await svc.get(ctx.params.org!, 'KradleInferenceService', ctx.params.name!);
      const model = (resource.spec.predictor as { model?: { protocolVersion?: string } } | undefined)?.model;
      ctx.set('ETag', etag);
      ctx.body = { ...resource, endpoint: endpointOf(tenantNamespaceOf(deps.config.current(), ctx.params.org!), resource.metadata.name, model?.protocolVersion) };
    } }
    : r));
  return [
    ...withEndpoint,
    ...kindCollection(svc, 'KradleServingRuntime', '/api/orgs/:org/inference/runtimes', 'serving runtimes', { getOne: false, remove: false }),
    ...kindCollection(svc, 'ArtifactRegistry', '/api/orgs/:org/artifacts/registries', 'artifact registries', { getOne: false, remove: false }),
    ...kindCollection(svc, 'ArtifactFeed', '/api/orgs/:org/artifacts/feeds', 'artifact feeds', { getOne: false, remove: false }),
    {
      method: 'GET', path: '/api/orgs/:org/artifacts/feeds/:feed/versions', auth: 'org-read', summary: 'List published versions of a feed',
      async handler(ctx) {
        const { org, feed } = ctx.params as { org: string; feed: string };
        // The feed goes into a label selector: `a,b` or `a in (x)` would change the query, not name a feed.
        if (!DNS1123_LABEL.test(feed)) throw new BadRequestError(`feed ${JSON.stringify(feed)} is not a resource name (DNS-1123 label)`);
        const q = listQuery(ctx);
        const selector = [`${FEED_LABEL}=${feed}`, q.labelSelector].filter(Boolean).join(',');
        sendPage(ctx, await deps.store.resources.list('ArtifactVersion', { namespace: tenantNamespace(org), ...q, labelSelector: selector }));
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/artifacts/feeds/:feed/publish', auth: 'org-write',
      summary: 'Publish a version to a feed ({name, version, packageType, size?, digest?}); 409 when it exists',
      async handler(ctx) {
        const { org, feed } = ctx.params as { org: string; feed: string };
        if (!deps.config.current()?.get('ArtifactFeed', org, feed)) throw new NotFoundError(`ArtifactFeed ${feed} not found in org ${org}`);
        const body = await readJson(ctx);
        const pkg = requireString(body, 'name');
        const version = requireString(body, 'version');
        const spec = {
          ...body, feedRef: feed, name: pkg, version, packageType: requireString(body, 'packageType'),
          publishedBy: actorOf(ctx).subject, publishedAt: (deps.clock?.now() ?? new Date()).toISOString(),
        };
        const metadata = { name: versionRecordName(feed, pkg, version), labels: { [FEED_LABEL]: feed } };
        // A published version is immutable: create only, never the apply-with-update path.
        const doc = { kind: 'ArtifactVersion', metadata, spec };
        const { resource } = await svc.apply(org, doc, { actor: actorOf(ctx), kind: 'ArtifactVersion', createOnly: true });
        ctx.status = 201;
        ctx.body = resource;
      },
    },
  ];
}
