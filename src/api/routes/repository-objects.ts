import { NotFoundError, ValidationError, type ErrorDetail } from '../../errors/index.ts';
import type { StoreEvent } from '../../store/types.ts';
import { readJson } from '../body.ts';
import type { ApiContext, RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import { actorOf } from './helpers.ts';

/** Event types these routes record; both are store events (seq-ordered, on SSE, matched by webhooks). */
export const GIT_OBJECT_RECORDED = 'GitObjectRecorded';
export const SEARCH_INDEX_REQUESTED = 'SearchIndexRequested';

const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const OBJECT_TYPES = ['blob', 'tree', 'commit', 'tag'];
const REF = /^refs\/[\w./-]{1,240}$/;

function check(details: ErrorDetail[], ok: boolean, field: string, message: string) {
  if (!ok) details.push({ code: 'INVALID', message, field });
}

/** The object's record: what it is and where it was seen; the bytes stay in the repository. */
function gitObject(body: Record<string, unknown>) {
  const details: ErrorDetail[] = [];
  check(details, typeof body.oid === 'string' && OID.test(body.oid), 'oid', 'oid must be a 40 or 64 character lowercase hex object id');
  check(details, typeof body.type === 'string' && OBJECT_TYPES.includes(body.type), 'type', `type must be one of ${OBJECT_TYPES.join(', ')}`);
  check(details, body.ref === undefined || (typeof body.ref === 'string' && REF.test(body.ref)), 'ref', 'ref must be a full ref name (refs/...)');
  check(details, body.path === undefined || (typeof body.path === 'string' && body.path.length <= 4096), 'path', 'path must be a string');
  check(details, body.size === undefined || (Number.isSafeInteger(body.size) && (body.size as number) >= 0), 'size', 'size must be a non-negative integer');
  if (details.length) throw new ValidationError('invalid git object record', { details });
  return { oid: body.oid as string, type: body.type as string, ref: body.ref, path: body.path, size: body.size };
}

function indexRequest(body: Record<string, unknown>) {
  const details: ErrorDetail[] = [];
  check(details, body.ref === undefined || (typeof body.ref === 'string' && REF.test(body.ref)), 'ref', 'ref must be a full ref name (refs/...)');
  check(details, body.paths === undefined || (Array.isArray(body.paths) && body.paths.every((p) => typeof p === 'string')), 'paths', 'paths must be an array of strings');
  if (details.length) throw new ValidationError('invalid search index request', { details });
  return { ref: (body.ref as string | undefined) ?? 'refs/heads/main', paths: (body.paths as string[] | undefined) ?? [] };
}

/**
 * A queued request as the caller reads it back. Nothing in this build indexes repositories, so a request
 * stays Queued: the record says it was asked for, never that it was done.
 */
function requestView(e: StoreEvent) {
  return { id: e.seq, repository: e.name, state: 'Queued', requestedBy: e.actor ?? null, requestedAt: e.createdAt, ...(e.payload as object) };
}

/** Git objects and search-index requests of a repository (spec §2.1 #16, #17), recorded as store events. */
export function repositoryObjectRoutes(deps: ApiDeps): RouteDef[] {
  const { store } = deps;
  const repoOf = (ctx: ApiContext) => {
    const { org, repo } = ctx.params as { org: string; repo: string };
    if (!deps.config.current()?.get('Repository', org, repo)) throw new NotFoundError(`Repository ${repo} not found in org ${org}`);
    return { org, repo };
  };
  const base = '/api/orgs/:org/repositories/:repo';
  return [
    {
      method: 'POST', path: `${base}/objects`, auth: 'org-write',
      summary: `Record a git object {oid, type, ref?, path?, size?} as a ${GIT_OBJECT_RECORDED} event (201); 404 without the Repository`,
      async handler(ctx) {
        const { org, repo } = repoOf(ctx);
        const object = gitObject(await readJson(ctx));
        const e = await store.events.publish({ org, type: GIT_OBJECT_RECORDED, kind: 'Repository', name: repo, payload: object, actor: actorOf(ctx).subject });
        ctx.status = 201;
        ctx.body = { event: e.seq, repository: repo, object, recordedAt: e.createdAt };
      },
    },
    {
      method: 'POST', path: `${base}/search-index`, auth: 'org-write',
      summary: `Enqueue a search index request {ref?, paths?} (202, a durable ${SEARCH_INDEX_REQUESTED} record read back at its location; state Queued)`,
      async handler(ctx) {
        const { org, repo } = repoOf(ctx);
        const request = indexRequest(await readJson(ctx));
        const e = await store.events.publish({ org, type: SEARCH_INDEX_REQUESTED, kind: 'Repository', name: repo, payload: request, actor: actorOf(ctx).subject });
        const location = `/api/orgs/${org}/repositories/${repo}/search-index/${e.seq}`;
        ctx.status = 202;
        ctx.set('Location', location);
        ctx.body = { ...requestView(e), location };
      },
    },
    {
      method: 'GET', path: `${base}/search-index/:id`, auth: 'org-read', runtimeOnly: true,
      summary: 'Read back a search index request (state Queued: this build has no indexer)',
      async handler(ctx) {
        const { org, repo } = repoOf(ctx);
        const id = Number(ctx.params.id);
        const [e] = Number.isSafeInteger(id) && id > 0 ? await store.events.since(id - 1, { org, limit: 1 }) : [];
        if (!e || e.seq !== id || e.type !== SEARCH_INDEX_REQUESTED || e.name !== repo) throw new NotFoundError(`search index request ${ctx.params.id} not found for ${repo}`);
        ctx.body = requestView(e);
      },
    },
  ];
}
