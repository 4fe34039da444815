/**
 * What the route table cannot say about each route: query parameters, request body, success status and
 * response body. Routes absent here are still documented (path parameters, auth, errors, a JSON object body
 * and answer); an entry makes them precise.
 */
export interface RouteDoc {
  query?: [name: string, description: string, schema?: Record<string, unknown>][];
  /** Request headers a client may send. */
  headers?: [name: string, description: string][];
  body?: Record<string, unknown>;
  /** Success status; 200 by default (201 for creates documented so). */
  ok?: number;
  response?: Record<string, unknown>;
  /** Headers a success answer may carry. */
  responseHeaders?: [name: string, description: string][];
  /** text/event-stream of Event messages instead of JSON. */
  stream?: boolean;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, ...(required.length ? { required } : {}) });
const list = (items: Record<string, unknown>) => obj({ items: { type: 'array', items }, continue: str });
const paging: RouteDoc['query'] = [['limit', 'page size', int], ['continue', 'token of the next page, from the previous answer', str]];
const COUNTS = { type: 'object', additionalProperties: int } as const;
/** What a config write answers besides the resource: where it went (a pull-request write: its own branch). */
const COMMITTED = { commit: str, branch: str, path: { type: 'string', description: 'the file written' } };
/** What a config write answers about the documents it wrote (valid, but with something ignored), in body and headers. */
const WARNINGS = {
  warnings: {
    type: 'array', items: ref('ErrorDetail'),
    description: 'the warnings of the documents written, positioned in their files (UNKNOWN_FIELD: a spec field the kind does not know, ignored); empty when none, and also on an unchanged write',
  },
};
const WARNING_HEADER: [string, string][] = [['Warning', 'one `299 - "path:line:column: warning CODE message"` per warning (RFC 7234, as the Kubernetes API server sends them), at most 5: the body has them all']];
const MODE: NonNullable<RouteDoc['query']>[number] = ['mode', '`pull-request`: commit on a new branch kradle/write/<id> instead of the tracked branch', { enum: ['commit', 'pull-request'] }];
const TOKEN_INFO = {
  id: str, org: str, role: { enum: ['admin', 'writer', 'reader'] }, subject: str, createdAt: str,
  expiresAt: { type: ['string', 'null'] }, revoked: { type: 'boolean' },
};
const STREAM: RouteDoc = {
  stream: true,
  query: [['lastEventId', 'resume after this event seq (as the Last-Event-ID header)', int], ['named', '`false`: send events without an `event:` line, so EventSource.onmessage receives them', { enum: ['true', 'false'] }]],
  headers: [['Last-Event-ID', 'resume after this event seq']],
};

export const ROUTE_DOCS: Record<string, RouteDoc> = {
  'GET /healthz': { response: obj({ ok: { type: 'boolean' } }) },
  'GET /readyz': { response: obj({ ok: { type: 'boolean' }, checks: { type: 'object', additionalProperties: obj({ ok: { type: 'boolean' }, message: str }) } }) },
  'GET /metrics': { response: { type: 'string', description: 'Prometheus text format' } },
  'GET /openapi.json': { response: { type: 'object', description: 'this document' } },
  'POST /api/session': { body: obj({ token: { type: 'string', description: 'a bearer token (krd_...)' } }), ok: 201, response: ref('Session') },
  'GET /api/session': { response: ref('Session') },
  'DELETE /api/session': { ok: 204 },
  'GET /api/controller': { query: [['org', 'only this org', str]], response: { type: 'object', description: 'orgs, resources by kind with worst sync/health, sync status, pending approvals and memory imports, latest events' } },
  'GET /api/orgs': { response: obj({ organizations: { type: 'array', items: obj({ slug: str, displayName: str }) } }) },
  'POST /api/orgs': { body: obj({ slug: str, displayName: str }, ['slug']), ok: 201, response: obj({ organization: ref('Organization'), namespace: str, ...COMMITTED, ...WARNINGS }), responseHeaders: WARNING_HEADER },
  'GET /api/orgs/:org/summary': {
    response: obj({
      org: str, revision: str, syncedRevision: str,
      resources: obj({ total: int, byKind: COUNTS }), objects: obj({ total: int, bySyncStatus: COUNTS, byHealth: COUNTS }),
      lastSyncRun: { anyOf: [ref('SyncRun'), { type: 'null' }], description: 'the latest run, its errors limited to this org' },
      configErrors: { type: 'array', items: ref('ErrorDetail'), description: "the org's errors at the last refused revision (first 100)" }, configErrorCount: int,
    }),
  },
  'GET /api/orgs/:org/resource-index': {
    query: [
      ['kind', 'only this kind', str], ['q', 'substring of the name or the file (case-insensitive)', str],
      ['status', 'only resources whose worst sync or health is this', { enum: ['SyncFailed', 'OutOfSync', 'Planned', 'Pruned', 'Synced', 'Degraded', 'Missing', 'Progressing', 'Suspended', 'Unknown', 'Healthy'] }],
      ['limit', 'page size (default 100, at most 500)', int], ['offset', 'skip this many', int],
    ],
    response: obj({
      org: str, revision: { type: ['string', 'null'] }, total: { type: 'integer', description: 'matching resources' }, offset: int, limit: int,
      kinds: { ...COUNTS, description: 'resources by kind, over the whole org' }, counts: { ...COUNTS, description: 'resources by worst sync and by worst health, over the whole org' },
      items: { type: 'array', items: obj({ kind: str, namespace: str, name: str, source: str, line: int, syncStatus: str, health: str, objects: int }) },
      sync: obj({ state: str, syncedRevision: { type: ['string', 'null'] }, fetchedRevision: { type: ['string', 'null'] }, outcome: { type: ['string', 'null'] }, finishedAt: { type: ['string', 'null'] } }),
      errors: { type: 'array', items: ref('ErrorDetail'), description: "the org's errors at the last refused revision (first 100)" },
    }),
  },
  'GET /api/orgs/:org/resources/:kind/:name/tree': { response: obj({ resource: ref('Resource'), objects: { type: 'array', items: { type: 'object' } }, events: { type: 'array', items: ref('Event') } }) },
  'GET /api/orgs/:org/audit': { query: [['action', 'only this action', str], ['since', 'ISO time', str], ['until', 'ISO time', str], ['limit', 'page size', int], ['offset', 'skip this many', int], ['order', '`desc`: newest first (default `asc`, oldest first)', { enum: ['asc', 'desc'] }]] },
  'GET /api/orgs/:org/resources': {
    query: [['kind', 'a kind or its plural; without it every config resource', str], ['labelSelector', 'Kubernetes label selector', str], ...paging!],
    response: list(ref('Resource')),
  },
  'POST /api/orgs/:org/resources': {
    headers: [['If-Match', 'the revision (config) or resourceVersion (runtime) the client read: 409 when stale']],
    query: [MODE],
    body: ref('Resource'), ok: 201, response: obj({ operation: { enum: ['create', 'update', 'unchanged'] }, resource: ref('Resource'), ...COMMITTED, ...WARNINGS }),
    responseHeaders: WARNING_HEADER,
  },
  'POST /api/orgs/:org/resources/batch': {
    headers: [['If-Match', 'the revision the client read: 409 when any of the resources changed since']],
    query: [MODE],
    body: obj({ items: { type: 'array', minItems: 1, maxItems: 500, items: obj({ resource: ref('Resource'), source: { type: 'string', description: 'the YAML as written, kept for a new file' } }, ['resource']) } }, ['items']),
    response: obj({
      ...COMMITTED, changed: { type: 'boolean', description: 'false when every document was unchanged (no commit made)' },
      base: { type: 'string', description: 'pull-request mode: the branch to compare the proposal with' },
      items: { type: 'array', items: obj({ kind: str, name: str, path: str, operation: { enum: ['create', 'update', 'unchanged'] } }) },
      ...WARNINGS,
    }),
    responseHeaders: WARNING_HEADER,
  },
  'GET /api/orgs/:org/resources/:kind/:name': { headers: [['If-None-Match', 'ETag of a copy held: 304 when unchanged']], response: ref('Resource') },
  'DELETE /api/orgs/:org/resources/:kind/:name': { headers: [['If-Match', 'revision or resourceVersion read: 409 when stale']], query: [MODE], response: obj({ operation: { const: 'delete' }, ...COMMITTED }) },
  'GET /api/orgs/:org/runtime-resources/:kind': { query: [['labelSelector', 'Kubernetes label selector', str], ...paging!], response: list(ref('Resource')) },
  'GET /api/orgs/:org/snapshot': { response: obj({ revision: str, config: { type: 'array', items: ref('Resource') }, runtime: { type: 'array', items: ref('Resource') } }) },
  'POST /api/orgs/:org/snapshot': { body: obj({ config: { type: 'array', items: ref('Resource') }, runtime: { type: 'array', items: ref('Resource') } }), ok: 201 },
  'GET /api/sync': { response: ref('SyncStatus') },
  'POST /api/sync': { query: [['wait', 'seconds (up to 600) to wait for the pass: 200 with completed and the outcome when it ends in time, else 202', int]], ok: 202, response: obj({
    triggered: { type: 'boolean' }, completed: { type: 'boolean', description: 'whether the pass ended within ?wait' },
    state: { type: 'string', description: 'the sync state after the pass, as GET /api/sync says it' }, syncedRevision: str,
    lastRun: obj({ id: int, outcome: str, revision: str }),
  }) },
  'POST /api/tokens': {
    body: obj({ org: str, role: { enum: ['admin', 'writer', 'reader'] }, subject: str, ttl: { type: 'string', description: '30d, 12h, 90m, 3600s' }, expiresAt: { type: 'string', format: 'date-time' } }, ['org', 'role']),
    ok: 201, response: obj({ token: { type: 'string', description: 'the token, shown this once' }, ...TOKEN_INFO }),
  },
  'GET /api/tokens': { query: [['org', 'only this org (platform admins)', str]], response: obj({ items: { type: 'array', items: obj(TOKEN_INFO) } }) },
  'DELETE /api/tokens/:id': { response: obj(TOKEN_INFO) },
  'GET /api/sync/runs': { query: [['limit', 'how many runs (at most 500)', int]], response: obj({ items: { type: 'array', items: ref('SyncRun') } }) },
  'POST /api/previews': {
    body: obj({ base: { type: 'string', description: 'branch, tag or commit' }, head: { type: 'string', description: 'branch, tag or commit' } }, ['base', 'head']),
    response: obj({
      base: str, head: str, valid: { type: 'boolean' }, errors: { type: 'array', items: ref('ErrorDetail') },
      warnings: { type: 'array', items: ref('ErrorDetail'), description: 'head\'s warnings (UNKNOWN_FIELD: a spec field its kind does not know, ignored); never make it invalid' },
      plan: { type: 'object', description: 'created, changed (field diffs), deleted, with the objects each produces' },
    }),
  },
  'GET /api/orgs/:org/events': STREAM,
  'GET /api/orgs/:org/agents/events/stream': STREAM,
  'GET /api/events': STREAM,
  'POST /api/webhooks/git': { headers: [['X-Hub-Signature-256', 'sha256=<hex> HMAC of the body (GitHub)'], ['X-Gitea-Signature', '<hex> HMAC of the body (Gitea)']], body: { type: 'object', description: 'the forge push payload' }, ok: 202, response: obj({ delivery: str }) },
  'POST /api/orgs/:org/agents/dispatch': { body: obj({ stack: str, repository: str, ref: str, sourceRefs: { type: 'array', items: str }, taskKind: str }, ['stack']), ok: 201, response: ref('Resource') },
  'GET /api/orgs/:org/agents/runs': { query: paging, response: list(ref('Resource')) },
  'GET /api/orgs/:org/agents/runs/:name': { response: ref('Resource') },
  'POST /api/orgs/:org/agents/runs/:name/retry': { body: { type: 'object', description: 'empty' }, ok: 201, response: ref('Resource') },
  'POST /api/orgs/:org/agents/approvals/:name/decide': { body: obj({ decision: { type: 'string', description: 'approve or deny (case-insensitive; approved/granted and denied/rejected too)' }, reason: str }, ['decision']), response: ref('Resource') },
  'GET /api/orgs/:org/agents/memory/imports': { query: paging, response: list(ref('Resource')) },
  'GET /api/orgs/:org/agents/memory/imports/:name': { response: ref('Resource') },
  'POST /api/orgs/:org/agents/memory/imports/:name/approve': { body: obj({ notes: str }), response: ref('Resource') },
  'POST /api/orgs/:org/agents/memory/imports/:name/reject': { body: obj({ reason: str }, ['reason']), response: ref('Resource') },
};
