import { BadRequestError } from '../../errors/index.ts';
import { listKinds, resolveKind } from '../../kinds/index.ts';
import { readJson } from '../body.ts';
import type { RouteDef } from '../context.ts';
import { kindOf, requireStorage } from '../documents.ts';
import { notModified } from '../etag.ts';
import type { ResourceService } from '../resource-service.ts';
import { setWarningHeaders } from '../warning-header.ts';
import { ifMatch, listQuery, queryString, sendPage, writeOptions } from './helpers.ts';

const MAX_BATCH = 500;

/** The generic routes of spec §2.1 (#5–8, #15): any kind, config or runtime, by `kind`. */
export function resourceRoutes(svc: ResourceService): RouteDef[] {
  return [
    {
      method: 'GET', path: '/api/orgs/:org/resources', auth: 'org-read',
      summary: 'List resources of one kind (?kind=, labelSelector, limit, continue); without kind, every config resource',
      async handler(ctx) {
        const kind = queryString(ctx, 'kind');
        const q = listQuery(ctx);
        if (kind) return sendPage(ctx, await svc.list(ctx.params.org!, kindOf(kind), q));
        const items = [];
        for (const def of listKinds('config')) items.push(...(await svc.list(ctx.params.org!, def, { ...q, limit: 1000 })).items);
        sendPage(ctx, { items });
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/resources', auth: 'org-write',
      summary: 'Apply a resource: config kinds become a commit (201 {operation, resource, commit, warnings}); runtime kinds go to the store',
      async handler(ctx) {
        const result = await svc.apply(ctx.params.org!, await readJson(ctx), writeOptions(ctx));
        ctx.status = result.operation === 'create' ? 201 : 200;
        ctx.body = result;
        setWarningHeaders(ctx, result.warnings);
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/resources/batch', auth: 'org-write',
      summary: 'Apply several config documents ({items: [{resource, source?}]}) as ONE validated commit, or none (422); unchanged documents make no commit; source (the YAML as written) keeps a new file\'s text and comments',
      async handler(ctx) {
        const body = await readJson(ctx);
        const items = (body as { items?: unknown }).items;
        if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) throw new BadRequestError(`items must be an array of 1 to ${MAX_BATCH} {resource, source?} objects`);
        const parsed = items.map((item, i) => {
          const { resource, source } = (item ?? {}) as { resource?: unknown; source?: unknown };
          if (!resource || typeof resource !== 'object' || Array.isArray(resource)) throw new BadRequestError(`items[${i}].resource must be an object`);
          if (source !== undefined && typeof source !== 'string') throw new BadRequestError(`items[${i}].source must be a string`);
          return { resource: resource as Record<string, unknown>, source };
        });
        const result = await svc.applyMany(ctx.params.org!, parsed, writeOptions(ctx));
        ctx.body = result;
        setWarningHeaders(ctx, result.warnings);
      },
    },
    {
      method: 'GET', path: '/api/orgs/:org/resources/:kind/:name', auth: 'org-read',
      summary: 'Get one resource; config kinds carry status from the inventory; ETag / If-None-Match',
      async handler(ctx) {
        const { resource, etag } = await svc.get(ctx.params.org!, ctx.params.kind!, ctx.params.name!);
        ctx.set('ETag', etag);
        ctx.body = resource;
        if (notModified(ctx.get('If-None-Match'), etag)) ctx.status = 304;
      },
    },
    {
      method: 'DELETE', path: '/api/orgs/:org/resources/:kind/:name', auth: 'org-write',
      summary: 'Delete a resource (config kinds: a commit removing it; If-Match guards)',
      async handler(ctx) {
        ctx.body = await svc.remove(ctx.params.org!, ctx.params.kind!, ctx.params.name!, writeOptions(ctx));
      },
    },
    {
      method: 'GET', path: '/api/orgs/:org/runtime-resources/:kind', auth: 'org-read', runtimeOnly: true,
      summary: 'List runtime records of one kind from the store (labelSelector, limit, continue)',
      async handler(ctx) {
        const def = kindOf(ctx.params.kind);
        requireStorage(ctx.params.org!, def, 'runtime');
        sendPage(ctx, await svc.list(ctx.params.org!, def, listQuery(ctx)));
      },
    },
  ];
}

/**
 * list/create/get/delete of one kind under a domain path (repositories, inference services, feeds, ...).
 * A body of another kind is refused with the route it belongs to.
 */
export function kindCollection(svc: ResourceService, kind: string, base: string, noun: string, opts: { remove?: boolean; getOne?: boolean } = {}): RouteDef[] {
  const def = resolveKind(kind);
  if (!def) throw new BadRequestError(`unknown kind ${kind}`);
  const routes: RouteDef[] = [
    {
      method: 'GET', path: base, auth: 'org-read', summary: `List ${noun}`,
      async handler(ctx) {
        sendPage(ctx, await svc.list(ctx.params.org!, def, listQuery(ctx)));
      },
    },
    {
      method: 'POST', path: base, auth: 'org-write', summary: `Create or update ${noun.replace(/s$/, '')} (${def.storage === 'config' ? 'a commit' : 'the store'})`,
      async handler(ctx) {
        const result = await svc.apply(ctx.params.org!, await readJson(ctx), { ...writeOptions(ctx), kind: def.kind });
        ctx.status = result.operation === 'create' ? 201 : 200;
        ctx.body = result;
        setWarningHeaders(ctx, result.warnings);
      },
    },
  ];
  if (opts.getOne !== false) {
    routes.push({
      method: 'GET', path: `${base}/:name`, auth: 'org-read', summary: `Get one of ${noun}`,
      async handler(ctx) {
        const { resource, etag } = await svc.get(ctx.params.org!, def.kind, ctx.params.name!);
        ctx.set('ETag', etag);
        ctx.body = resource;
      },
    });
  }
  if (opts.remove !== false) {
    routes.push({
      method: 'DELETE', path: `${base}/:name`, auth: 'org-write', summary: `Delete one of ${noun}`,
      async handler(ctx) {
        ctx.body = await svc.remove(ctx.params.org!, def.kind, ctx.params.name!, { ...writeOptions(ctx), expected: ifMatch(ctx) });
      },
    });
  }
  return routes;
}

