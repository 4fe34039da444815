import test from 'ava';
import { Validator } from '@seriousme/openapi-schema-validator';
import { agentRouteDefs } from '../../src/agents/routes.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { EVENT_TYPES } from '../../src/api/event-catalog.ts';
import { createStore } from '../../src/store/index.ts';
import { listKinds } from '../../src/kinds/index.ts';
import { client, startApi, type Running } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

// The document is built from the route table; routes are not called, so one PGlite store is enough.
const store = createStore({ dataDir: 'memory://' });
let api: Running;
let doc: any;

test.before(async () => {
  await store.migrate();
  // The agent routes as the server mounts them; their handlers never run here.
  const extraRoutes = agentRouteDefs({} as never) as unknown as RouteDef[];
  api = await startApi({ store, config: fakeConfig([]), sync: fakeSync(), extraRoutes });
  const res = await client(api.url).get('/openapi.json');
  t0(res.status === 200, 'GET /openapi.json answers');
  doc = res.body;
});
test.after.always(async () => {
  await api?.close();
  await store.close();
});

function t0(ok: boolean, what: string) {
  if (!ok) throw new Error(what);
}

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));

test('the served document is valid OpenAPI 3.1 to a real validator, its $refs included', async (t) => {
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc));
  t.true(res.valid, JSON.stringify(res.errors, null, 1)?.slice(0, 2000));
  t.is(validator.version, '3.1');
  t.notThrows(() => validator.resolveRefs());
});

test('every route of the app is in the document, and every operation has a summary and a description', (t) => {
  t.is(operations().length, api.app.routes.length);
  for (const r of api.app.routes) {
    const op = doc.paths[r.path.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
    t.truthy(op, `${r.method} ${r.path} is documented`);
    t.true(typeof op?.summary === 'string' && op.summary.trim().length > 10, `${r.method} ${r.path} has a summary`);
    t.true(typeof op?.description === 'string' && op.description.trim().length > 10, `${r.method} ${r.path} has a description`);
  }
});

test('every operation declares its path parameters, a success answer, the error envelope and its security', (t) => {
  const ids = new Set<string>();
  for (const { path, method, op } of operations()) {
    const where = `${method.toUpperCase()} ${path}`;
    t.false(ids.has(op.operationId), `${where}: unique operationId`);
    ids.add(op.operationId);
    for (const [, name] of path.matchAll(/\{(\w+)\}/g)) {
      t.true(op.parameters?.some((p: any) => p.in === 'path' && p.name === name && p.required), `${where}: path parameter ${name}`);
    }
    const codes = Object.keys(op.responses);
    t.true(codes.some((c) => /^2\d\d$/.test(c)), `${where}: a 2xx answer`);
    t.is(op.responses.default.content['application/json'].schema.$ref, '#/components/schemas/Error', `${where}: errors in the envelope`);
    if (['public', 'hmac'].includes(op['x-kradle-auth'])) t.deepEqual(op.security, [], `${where}: public`);
    else {
      t.deepEqual(op.security, [{ bearer: [] }, { session: [] }], `${where}: bearer or session`);
      t.truthy(op.responses['401'] && op.responses['403'], `${where}: 401 and 403`);
    }
    if (method === 'post' || method === 'put') t.truthy(op.requestBody?.content?.['application/json'], `${where}: a JSON request body`);
  }
  t.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['bearer', 'session']);
  t.like(doc.components.securitySchemes.session, { type: 'apiKey', in: 'cookie', name: 'kradle_session' });
});

test('bodies, query parameters and answers of the main routes are precise; resource schemas come from schemas/', (t) => {
  const op = (method: string, path: string) => doc.paths[path][method];
  const apply = op('post', '/api/orgs/{org}/resources');
  t.is(apply.requestBody.content['application/json'].schema.$ref, '#/components/schemas/Resource');
  t.truthy(apply.responses['201']);
  t.true(apply.parameters.some((p: any) => p.in === 'header' && p.name === 'If-Match'));
  const listing = op('get', '/api/orgs/{org}/resources');
  t.deepEqual(listing.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name), ['kind', 'labelSelector', 'limit', 'continue']);
  for (const k of listKinds()) t.truthy(doc.components.schemas[k.kind]?.properties?.spec, `schema of ${k.kind}`);
  t.is(doc.components.schemas.Team.properties.kind.const, 'Team');
  t.truthy(op('get', '/api/orgs/{org}/events').responses['200'].content['text/event-stream']);
  t.is(op('post', '/api/session').responses['201'].content['application/json'].schema.$ref, '#/components/schemas/Session');
});

test('the Event schema documents every event type and its payload', (t) => {
  const event = doc.components.schemas.Event;
  for (const e of EVENT_TYPES) {
    t.true(event.description.includes(`\`${e.type}\``), e.type);
    t.true(event.properties.payload.oneOf.some((p: any) => p.title === e.type), `${e.type} payload`);
  }
  for (const type of ['ResourceCreated', 'ResourceChanged', 'ResourceDeleted', 'SyncSucceeded', 'SyncFailed', 'ValidationFailed']) {
    t.true(EVENT_TYPES.some((e) => e.type === type), type);
  }
});
