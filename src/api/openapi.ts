import { listKinds } from '../kinds/index.ts';
import { buildKindSchema } from '../kinds/schema-builder.ts';
import type { AuthRule, RouteDef } from './context.ts';
import { CONTROL_MESSAGES, EVENT_TYPES } from './event-catalog.ts';
import { ROUTE_DOCS, type RouteDoc } from './openapi-routes.ts';

const AUTH_TEXT: Record<AuthRule, string> = {
  public: 'none',
  any: 'any valid bearer token or session cookie',
  'org-read': 'bearer token or session with any role on :org (or a platform token)',
  'org-write': 'bearer token or session with writer or admin on :org (or a platform writer/admin)',
  'platform-read': 'platform bearer token or session (org *)',
  'platform-write': 'platform bearer token or session (org *) with writer or admin',
  hmac: 'HMAC signature of the body (X-Hub-Signature-256 or X-Gitea-Signature)',
};

type Route = Pick<RouteDef, 'method' | 'path' | 'auth' | 'summary'>;
const SECURITY = [{ bearer: [] }, { session: [] }];
const json = (schema: unknown) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Error' }) });

/** The error statuses a route can answer, from what it takes: auth, path ids, a body, a write. */
function errorResponses(r: Route, doc: RouteDoc): Record<string, unknown> {
  const secured = r.auth !== 'public' && r.auth !== 'hmac';
  const writes = r.method !== 'GET';
  return {
    400: errorResponse('Bad request: a malformed org, query value or body'),
    ...(secured || r.auth === 'hmac' ? { 401: errorResponse('No valid token, session or signature') } : {}),
    ...(secured ? { 403: errorResponse('Forbidden: another org, a role that may not do this, or a cookie request without X-CSRF-Token (CSRF_REQUIRED)') } : {}),
    ...(r.path.includes(':') ? { 404: errorResponse('No such resource') } : {}),
    ...(writes ? { 409: errorResponse('Conflict: stale If-Match or resourceVersion, or a state that does not allow it') } : {}),
    ...(writes || doc.body ? { 413: errorResponse('Body over 1 MB'), 415: errorResponse('Body is not application/json'), 422: errorResponse('Validation failed: details are positioned (path, line, column, field)') } : {}),
    503: errorResponse('Not ready, or a dependency (store, writer, cluster) unavailable; Retry-After may say when'),
    default: errorResponse('Any other error, in the envelope'),
  };
}

function successResponse(r: Route, doc: RouteDoc): Record<string, unknown> {
  const status = doc.ok ?? 200;
  if (doc.stream) {
    return { 200: { description: 'Server-sent events: `id` is the event seq; see components.schemas.Event for each type', content: { 'text/event-stream': { schema: { $ref: '#/components/schemas/Event' } } } } };
  }
  if (status === 204) return { 204: { description: r.summary } };
  const schema = doc.response ?? { type: 'object' };
  return {
    [status]: {
      description: r.summary,
      ...(doc.responseHeaders ? { headers: Object.fromEntries(doc.responseHeaders.map(([name, description]) => [name, { description, schema: { type: 'string' } }])) } : {}),
      content: r.path === '/metrics' ? { 'text/plain': { schema } } : json(schema),
    },
    ...(conditional(r, doc) ? { 304: { description: 'Not modified (If-None-Match matched the ETag)' } } : {}),
  };
}

/** A GET answered with JSON carries an ETag (etag.ts); streams and /metrics do not. */
const conditional = (r: Route, doc: RouteDoc) => r.method === 'GET' && !doc.stream && r.path !== '/metrics';
const IF_NONE_MATCH: [string, string] = ['If-None-Match', 'the ETag of an answer held: 304 with no body while it is unchanged'];

function operation(r: Route): Record<string, unknown> {
  const doc = ROUTE_DOCS[`${r.method} ${r.path}`] ?? {};
  const secured = r.auth !== 'public' && r.auth !== 'hmac';
  const parameters = [
    ...[...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' }, description: `the ${m[1]} of the path` })),
    ...(doc.query ?? []).map(([name, description, schema]) => ({ name, in: 'query', required: false, description, schema: schema ?? { type: 'string' } })),
    ...[...(doc.headers ?? []), ...(conditional(r, doc) && !doc.headers?.some(([h]) => h === 'If-None-Match') ? [IF_NONE_MATCH] : [])]
      .map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } })),
    ...(secured && r.method !== 'GET' ? [{ name: 'X-CSRF-Token', in: 'header', required: false, description: 'required when authenticated by the session cookie (GET /api/session returns it)', schema: { type: 'string' } }] : []),
  ];
  const takesBody = doc.body !== undefined || r.method === 'POST' || r.method === 'PUT';
  return {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    summary: r.summary,
    description: `${r.summary}. Auth: ${AUTH_TEXT[r.auth]}.`,
    'x-kradle-auth': r.auth,
    ...(parameters.length ? { parameters } : {}),
    ...(takesBody ? { requestBody: { required: Array.isArray(doc.body?.required) || doc.body?.$ref !== undefined, content: json(doc.body ?? { type: 'object' }) } } : {}),
    security: secured ? SECURITY : [],
    responses: { ...successResponse(r, doc), ...errorResponses(r, doc) },
  };
}

/** Each kind's JSON Schema (the same as schemas/<Kind>.json), as a component. */
function kindSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of listKinds()) {
    const { $schema: _s, $id: _i, ...schema } = buildKindSchema(def) as Record<string, unknown>;
    out[def.kind] = schema;
  }
  return out;
}

function eventSchema(): Record<string, unknown> {
  return {
    type: 'object',
    description: [
      'One event of a stream (the `data:` line; `id:` is its seq and `event:` its type unless ?named=false). Types:',
      ...EVENT_TYPES.map((e) => `- \`${e.type}\` (${e.org === 'platform' ? 'platform tokens' : e.org === 'own' ? 'its org' : 'its org; org null: platform tokens'}): ${e.description}`),
      'Control messages without an id: ' + CONTROL_MESSAGES.map((c) => `\`${c.type}\` (${c.description})`).join('; ') + '.',
    ].join('\n'),
    required: ['seq', 'type', 'kind', 'name', 'createdAt'],
    properties: {
      seq: { type: 'integer' }, type: { type: 'string', examples: EVENT_TYPES.map((e) => e.type) }, org: { type: ['string', 'null'] },
      kind: { type: 'string' }, namespace: { type: ['string', 'null'] }, name: { type: 'string' }, resourceVersion: { type: ['string', 'null'] },
      payload: { description: 'by type', oneOf: EVENT_TYPES.map((e) => ({ title: e.type, ...e.payload })) }, createdAt: { type: 'string', format: 'date-time' },
    },
  };
}

const COMMON_SCHEMAS = {
  ErrorDetail: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, path: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, field: { type: 'string' } } },
  Error: {
    type: 'object', required: ['error'],
    properties: { error: { type: 'object', required: ['code', 'message', 'details'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } } } } },
  },
  Session: {
    type: 'object', required: ['subject', 'org', 'role', 'via'],
    properties: {
      subject: { type: 'string' }, org: { type: 'string', description: '`*` for a platform token' }, role: { enum: ['admin', 'writer', 'reader'] }, tokenId: { type: 'string' },
      via: { enum: ['bearer', 'session'] }, sessionId: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' }, csrfToken: { type: 'string', description: 'send as X-CSRF-Token on unsafe cookie requests' },
    },
  },
  SyncRun: {
    type: 'object',
    properties: {
      id: { type: 'integer' }, revision: { type: 'string' }, startedAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] },
      outcome: { enum: ['Running', 'Succeeded', 'ValidationFailed', 'Failed', 'PartiallyApplied'] }, counts: { type: 'object', additionalProperties: { type: 'integer' } },
      errors: { type: 'array', items: { $ref: '#/components/schemas/ErrorDetail' } },
    },
  },
  SyncStatus: {
    type: 'object',
    properties: {
      state: { enum: ['Idle', 'Syncing', 'ValidationFailed', 'Failed', 'Stopped'] }, mode: { enum: ['live', 'plan-only'] }, syncedRevision: { type: 'string' }, fetchedRevision: { type: 'string' }, lastRun: { $ref: '#/components/schemas/SyncRun' },
      clusterReachable: { type: 'boolean' }, sourceReachable: { type: 'boolean' }, message: { type: 'string' }, configErrorCount: { type: 'integer' },
    },
  },
};

/** OpenAPI 3.1 document generated from the route table, so it cannot drift from what is served. */
export function openApiDocument(routes: readonly Route[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[r.path.replace(/:(\w+)/g, '{$1}')] ??= {})[r.method.toLowerCase()] = operation(r);
  const kinds = kindSchemas();
  return {
    openapi: '3.1.0',
    info: { title: 'Kradle API', version: '0.1.0', description: 'The Kradle control plane API. Errors use one envelope; writes to config kinds become Git commits.' },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API token (kradle token create)' },
        session: { type: 'apiKey', in: 'cookie', name: 'kradle_session', description: 'a browser session from POST /api/session; unsafe methods also need X-CSRF-Token' },
      },
      schemas: {
        ...COMMON_SCHEMAS,
        Event: eventSchema(),
        Resource: { description: 'a document of any kind (answers add status and resourceVersion)', anyOf: Object.keys(kinds).map((k) => ({ $ref: `#/components/schemas/${k}` })) },
        ...kinds,
      },
    },
  };
}
