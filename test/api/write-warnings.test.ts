// Config writes through the API of a real `kradle serve` (plan-only, PGlite) on a real Git repository: a write
// that ignores a spec field says so, in its answer's `warnings` and in Warning headers, as kubectl users expect.
import test from 'ava';
import type { RunningServer } from '../../src/server/server.ts';
import { runGit } from '../support/git-repo.ts';
import { acmeRepo, startTestServer } from '../support/test-server.ts';

let bare: string;
let server: RunningServer;
let token: string;

test.before(async () => {
  bare = acmeRepo();
  ({ server, token } = await startTestServer({ repo: bare }));
});

test.after.always(async () => {
  await server?.close();
});

async function post(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, warning: res.headers.get('warning'), body: (await res.json()) as any };
}

const team = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName: name, ...spec } });
const lineOf = (path: string, text: string) => runGit(bare, ['show', `main:${path}`]).split('\n').findIndex((l) => l.includes(text)) + 1;

test.serial('a write that ignores a spec field answers it in warnings, positioned in the file, and in a Warning header', async (t) => {
  const res = await post('/api/orgs/acme/resources', team('docs', { parentTeam: 'platform' }));
  t.is(res.status, 201, JSON.stringify(res.body));
  const path = 'orgs/acme/teams/docs.yaml';
  const line = lineOf(path, 'parentTeam:');
  t.true(line > 0);
  t.deepEqual(res.body.warnings, [
    { path, line, column: 3, code: 'UNKNOWN_FIELD', field: 'spec.parentTeam', message: 'spec.parentTeam is not a field of Team; it is ignored' },
  ]);
  t.is(res.warning, `299 - "${path}:${line}:3: warning UNKNOWN_FIELD spec.parentTeam is not a field of Team; it is ignored"`);

  const again = await post('/api/orgs/acme/resources', team('docs', { parentTeam: 'platform' }));
  t.is(again.body.operation, 'unchanged');
  t.deepEqual(again.body.warnings, res.body.warnings, 'the same document again still says what it ignores');

  const clean = await post('/api/orgs/acme/resources', team('site', {}));
  t.is(clean.status, 201);
  t.deepEqual(clean.body.warnings, []);
  t.is(clean.warning, null, 'no Warning header without a warning');
});

test.serial('a batch answers the warnings of its documents; the headers are a printable summary of at most five', async (t) => {
  const stray = Object.fromEntries(['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((k) => [k, true]));
  const res = await post('/api/orgs/acme/resources/batch', {
    items: [{ resource: team('ops', { ...stray, 'naïve"key': 1 }) }, { resource: team('qa', {}) }],
  });
  t.is(res.status, 200, JSON.stringify(res.body));
  t.deepEqual(res.body.warnings.map((w: { field: string }) => w.field), ['spec.a1', 'spec.a2', 'spec.a3', 'spec.a4', 'spec.a5', 'spec.a6', 'spec.naïve"key']);
  t.true(res.body.warnings.every((w: { path: string }) => w.path === 'orgs/acme/teams/ops.yaml'));
  const headers = res.warning!.split(/, (?=299 - ")/);
  t.is(headers.length, 5);
  t.regex(headers[0]!, /^299 - "orgs\/acme\/teams\/ops\.yaml:\d+:3: warning UNKNOWN_FIELD spec\.a1 is not a field of Team; it is ignored"$/);
  t.is(headers[4], '299 - "and 3 more warnings in the response body"');
  const odd = (await post('/api/orgs/acme/resources', team('ops', { 'naïve"key': 1 }))).warning!;
  t.regex(odd, /spec\.na\?ve\\"key is not a field/, 'a quote is escaped, a character beyond ASCII replaced');
});

test('the OpenAPI document describes the warnings of a write and its Warning header', async (t) => {
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
  for (const [path, status] of [['/api/orgs/{org}/resources', '201'], ['/api/orgs/{org}/resources/batch', '200'], ['/api/orgs', '201']] as const) {
    const ok = doc.paths[path].post.responses[status];
    t.deepEqual(ok.content['application/json'].schema.properties.warnings.items, { $ref: '#/components/schemas/ErrorDetail' }, path);
    t.truthy(ok.headers?.Warning, path);
  }
});
