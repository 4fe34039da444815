// `kradle get|list|apply|delete|sync|status` spawned as the real binary against the real API app on PGlite.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { createStore, type Store } from '../../src/store/index.ts';
import { makeToken, startApi, type Running } from '../support/api-client.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

const kradle = (args: string[], env: Record<string, string> = {}, stdin?: string) => runKradle(args, { env, ...(stdin === undefined ? {} : { stdin }) });

const repos = (org: string) => ['a', 'b', 'c', 'd', 'e'].map((n, i) => doc('Repository', org, `repo-${n}`, { visibility: 'private' }, { tier: i < 2 ? 'gold' : 'silver' }));
const orgDoc = (org: string) => doc('Organization', org, org, { displayName: org, slug: org });

let store: Store;
let api: Running;
let readOnly: Running;
let tmp: string;
const config = fakeConfig([orgDoc('acme'), ...repos('acme'), orgDoc('globex'), orgDoc('initech'), ...repos('initech')]);
const writer = fakeWriter(config);
const sync = fakeSync({ syncedRevision: 'rev-1', fetchedRevision: 'rev-1' });
const tokens = {} as Record<'acmeReader' | 'initechWriter' | 'globexReader' | 'platform', string>;

test.before(async () => {
  store = createStore({ dataDir: 'memory://' });
  await store.migrate();
  api = await startApi({ store, config, sync, writer, secrets: fakeSecrets() });
  // The same store without write-back: config writes answer 503.
  readOnly = await startApi({ store, config, sync });
  tokens.acmeReader = await makeToken(api.app, 'acme', 'reader', 'rita');
  tokens.initechWriter = await makeToken(api.app, 'initech', 'writer', 'walt');
  tokens.globexReader = await makeToken(api.app, 'globex', 'reader', 'gus');
  tokens.platform = await makeToken(api.app, '*', 'admin', 'ops');
  const ns = 'kradle-org-acme';
  await store.inventory.upsert([
    { sourceKey: `Repository/${ns}/repo-a`, org: 'acme', revision: 'rev-1', contentHash: 'h1', syncStatus: 'Synced', health: 'Healthy', conditions: [], target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'a' } },
    { sourceKey: `Repository/${ns}/repo-b`, org: 'acme', revision: 'rev-1', contentHash: 'h2', syncStatus: 'OutOfSync', health: 'Degraded', conditions: [], target: { apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'b' } },
  ]);
  tmp = await mkdtemp(join(tmpdir(), 'kradle-cli-'));
});

test.after.always(async () => {
  await api?.close();
  await readOnly?.close();
  await store?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const as = (token: string, server = api.url) => ({ KRADLE_SERVER: server, KRADLE_TOKEN: token });
const tableRows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s+/));

test('get prints YAML by default and JSON with --format json; flags win over the environment', async (t) => {
  const [yaml, json] = await Promise.all([
    kradle(['get', 'Repository', 'repo-a', '--org', 'acme'], as(tokens.acmeReader)),
    kradle(['get', 'repositories', 'repo-b', '--org', 'acme', '--format', 'json', '--server', api.url, '--token', tokens.acmeReader], as('krd_bogus', 'http://127.0.0.1:1')),
  ]);
  t.is(yaml.code, 0, yaml.stderr);
  const got = parse(yaml.stdout);
  t.like(got, { kind: 'Repository', metadata: { name: 'repo-a', labels: { tier: 'gold' } }, spec: { visibility: 'private', organizationRef: 'acme' } });
  t.is(got.status.objects[0].health, 'Healthy');
  t.is(json.code, 0, json.stderr);
  t.like(JSON.parse(json.stdout), { metadata: { name: 'repo-b' }, status: { objects: [{ syncStatus: 'OutOfSync' }] } });
});

test('the error envelope becomes a readable message: 404 and 403 exit 1, 401 without a token', async (t) => {
  const [missing, otherOrg, noToken] = await Promise.all([
    kradle(['get', 'Repository', 'nope', '--org', 'acme'], as(tokens.acmeReader)),
    kradle(['get', 'Repository', 'repo-a', '--org', 'acme'], as(tokens.globexReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--server', api.url]),
  ]);
  t.is(missing.code, 1);
  t.is(missing.stdout, '');
  t.is(missing.stderr.trim(), 'kradle get: 404 NOT_FOUND: Repository nope not found in org acme');
  t.is(otherOrg.code, 1);
  t.regex(otherOrg.stderr, /^kradle get: 403 FORBIDDEN: the token .*not valid for org acme/);
  t.false(otherOrg.stdout.includes('repo-a'));
  t.is(noToken.code, 1);
  t.regex(noToken.stderr, /401 UNAUTHORIZED/);
});

test('list: a table with sync and health, every page followed, --limit, --selector, JSON', async (t) => {
  const [all, limited, gold, json] = await Promise.all([
    kradle(['list', 'Repository', '--org', 'acme', '--chunk-size', '2'], as(tokens.acmeReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--limit', '2'], as(tokens.acmeReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--selector', 'tier in (gold)'], as(tokens.acmeReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--format', 'json', '-l', 'tier=silver'], as(tokens.acmeReader)),
  ]);
  t.is(all.code, 0, all.stderr);
  t.deepEqual(tableRows(all.stdout), [
    ['NAME', 'SYNC', 'HEALTH', 'AGE'],
    ['repo-a', 'Synced', 'Healthy', '-'],
    ['repo-b', 'OutOfSync', 'Degraded', '-'],
    ['repo-c', 'Unknown', 'Unknown', '-'],
    ['repo-d', 'Unknown', 'Unknown', '-'],
    ['repo-e', 'Unknown', 'Unknown', '-'],
  ]);
  t.deepEqual(tableRows(limited.stdout).map((r) => r[0]), ['NAME', 'repo-a', 'repo-b']);
  t.deepEqual(tableRows(gold.stdout).map((r) => r[0]), ['NAME', 'repo-a', 'repo-b']);
  t.deepEqual(JSON.parse(json.stdout).items.map((r: any) => r.metadata.name), ['repo-c', 'repo-d', 'repo-e']);
});

test('apply: every config document of a file goes in one batch request, with its text as written; org from spec.organizationRef', async (t) => {
  const file = join(tmp, 'two.yaml');
  const first = '# the docs repository\napiVersion: kradle.a5c.ai/v1alpha1\nkind: Repository\nmetadata:\n  name: docs\nspec:\n  organizationRef: initech\n  visibility: public\n';
  await writeFile(file, [
    first,
    '# an empty document is skipped\n',
    'kind: Repository\nmetadata:\n  name: site\nspec:\n  organizationRef: initech\n  visibility: private\n',
  ].join('---\n'));
  const before = writer.manyRequests.length;
  const res = await kradle(['apply', '-f', file], as(tokens.initechWriter));
  t.is(res.code, 0, res.stderr);
  const lines = res.stdout.trim().split('\n');
  t.is(lines.length, 2);
  t.regex(lines[0]!, /^Repository\/docs configured: commit rev-\d+ on main \(orgs\/initech\/repositorys\/docs\.yaml\)$/);
  t.regex(lines[1]!, /^Repository\/site configured: commit rev-\d+ on main/);
  const sent = writer.manyRequests.slice(before).filter((r) => r.edits.some((e) => e.name === 'docs'));
  t.is(sent.length, 1, 'one request: one commit');
  t.deepEqual(sent[0]!.edits.map((e) => [e.name, e.resource?.spec.visibility]), [['docs', 'public'], ['site', 'private']]);
  t.is(sent[0]!.edits[0]!.source, first, 'the text as written travels with the document');
  t.is(sent[0]!.author.name, 'walt');
  const got = await kradle(['get', 'Repository', 'docs', '--org', 'initech', '--format', 'json'], as(tokens.initechWriter));
  t.is(JSON.parse(got.stdout).spec.visibility, 'public');
});

test('apply: a stale --if-match is 409; an invalid document sends nothing of its file', async (t) => {
  const file = join(tmp, 'mixed.yaml');
  await writeFile(file, 'kind: Repository\nmetadata:\n  name: BAD_NAME\nspec:\n  visibility: public\n---\nkind: Repository\nmetadata:\n  name: fine\nspec:\n  visibility: public\n');
  const before = writer.manyRequests.length;
  const [stale, mixed] = await Promise.all([
    kradle(['apply', '-f', '-', '--org', 'initech', '--if-match', 'rev-0'], as(tokens.initechWriter), 'kind: Repository\nmetadata: {name: repo-a}\nspec: {visibility: public}\n'),
    kradle(['apply', '-f', file, '--org', 'initech', '--format', 'json'], as(tokens.initechWriter)),
  ]);
  t.is(stale.code, 1);
  t.regex(stale.stderr, /409 CONFLICT/);
  t.is(mixed.code, 1);
  t.regex(mixed.stderr, /422 VALIDATION_FAILED: .*nothing was written\n {2}items\[0\]\.resource\.metadata\.name: NAME metadata\.name must be a DNS-1123 label/);
  const envelope = JSON.parse(mixed.stdout);
  t.deepEqual(Object.keys(envelope), ['error'], 'the error envelope, as every command prints a failure with --format json');
  t.is(envelope.error.code, 'VALIDATION_FAILED');
  t.deepEqual(envelope.error.details.map((d: { field: string }) => d.field), ['items[0].resource.metadata.name']);
  t.false(writer.manyRequests.slice(before).some((r) => r.edits.some((e) => e.name === 'fine')), 'the valid document was not written either');
});

test('apply: a YAML error or a document without an org sends nothing', async (t) => {
  const broken = join(tmp, 'broken.yaml');
  await writeFile(broken, 'kind: Repository\nmetadata:\n  name: x\nspec: [unclosed\n');
  const before = writer.requests.length;
  const [syntax, noOrg, missing] = await Promise.all([
    kradle(['apply', '-f', broken, '--org', 'initech'], as(tokens.initechWriter)),
    kradle(['apply', '-f', '-'], as(tokens.initechWriter), 'kind: Repository\nmetadata: {name: orphan}\nspec: {visibility: public}\n'),
    kradle(['apply', '-f', join(tmp, 'absent.yaml'), '--org', 'initech'], as(tokens.initechWriter)),
  ]);
  t.is(syntax.code, 1);
  t.regex(syntax.stderr, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML `));
  t.is(noOrg.code, 2);
  t.regex(noOrg.stderr, /Repository\/orphan names no org: pass --org or set spec.organizationRef/);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /cannot read .*absent\.yaml: ENOENT/);
  t.false(writer.requests.slice(before).some((r) => ['x', 'orphan'].includes(r.name)));
});

test('Organizations are platform-scoped: apply goes through POST /api/orgs, list through GET /api/orgs', async (t) => {
  const applied = await kradle(['apply', '-f', '-'], as(tokens.platform),
    'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata: {name: newco}\nspec: {displayName: New Co, slug: newco}\n');
  t.is(applied.code, 0, applied.stderr);
  t.regex(applied.stdout, /^Organization\/newco created: commit rev-\d+ on main/);
  t.like(writer.requests.find((r) => r.kind === 'Organization'), { org: 'newco', name: 'newco', author: { name: 'ops' } });
  const [mine, all] = await Promise.all([
    kradle(['list', 'organizations'], as(tokens.acmeReader)),
    kradle(['list', 'Organization', '--format', 'json'], as(tokens.platform)),
  ]);
  t.deepEqual(tableRows(mine.stdout), [['NAME', 'DISPLAY', 'NAME', 'NAMESPACE'], ['acme', 'acme', 'kradle-org-acme']]);
  t.true(JSON.parse(all.stdout).items.some((o: any) => o.slug === 'newco' && o.displayName === 'New Co'));
});

test('apply and list of a runtime kind: the store record, PHASE and AGE columns', async (t) => {
  const applied = await kradle(['apply', '-f', '-', '--org', 'initech'], as(tokens.initechWriter),
    'kind: Issue\nmetadata: {name: bug-1}\nspec: {title: broken}\nstatus: {phase: Open}\n');
  t.is(applied.code, 0, applied.stderr);
  t.regex(applied.stdout, /^Issue\/bug-1 created: resourceVersion \d+/);
  const listed = await kradle(['list', 'issues', '--org', 'initech'], as(tokens.initechWriter));
  t.is(listed.code, 0, listed.stderr);
  const rows = tableRows(listed.stdout);
  t.deepEqual(rows[0], ['NAME', 'PHASE', 'AGE']);
  t.is(rows[1]![0], 'bug-1');
  t.is(rows[1]![1], 'Open');
  t.regex(rows[1]![2]!, /^\d+s$/);
});

test('apply --format json of runtime records: a refused one makes the run one error envelope naming it; the others are applied', async (t) => {
  const issue = (name: string) => `kind: Issue\nmetadata: {name: ${name}}\nspec: {title: t}\n`;
  t.is((await kradle(['apply', '-f', '-', '--org', 'initech'], as(tokens.initechWriter), issue('twice'))).code, 0);
  const out = await kradle(['apply', '-f', '-', '--org', 'initech', '--format', 'json'], as(tokens.initechWriter), `${issue('fresh')}---\n${issue('twice')}`);
  t.is(out.code, 1, out.stderr);
  const body = JSON.parse(out.stdout);
  t.deepEqual(Object.keys(body), ['error']);
  t.is(body.error.code, 'CONFLICT');
  t.regex(body.error.message, /^1 of 2 documents were refused \(the others were applied\): Issue\/twice: /);
  t.deepEqual(body.error.details.map((d: { field: string }) => d.field), ['items[1]']);
  t.regex(out.stderr, /kradle apply Issue\/twice: 409 CONFLICT/);
  const fresh = await kradle(['get', 'Issue', 'fresh', '--org', 'initech', '--format', 'json'], as(tokens.initechWriter));
  t.is(fresh.code, 0, 'the record before it was applied');
});

test('delete: a commit removing the resource, then get answers 404', async (t) => {
  const del = await kradle(['delete', 'Repository', 'repo-e', '--org', 'initech'], as(tokens.initechWriter));
  t.is(del.code, 0, del.stderr);
  t.regex(del.stdout.trim(), /^Repository\/repo-e deleted \(commit rev-\d+ on main\)$/);
  t.like(writer.requests.find((r) => r.operation === 'delete'), { org: 'initech', name: 'repo-e', author: { name: 'walt' } });
  const gone = await kradle(['get', 'Repository', 'repo-e', '--org', 'initech'], as(tokens.initechWriter));
  t.is(gone.code, 1);
  t.regex(gone.stderr, /404 NOT_FOUND/);
  const again = await kradle(['delete', 'Repository', 'repo-e', '--org', 'initech'], as(tokens.acmeReader));
  t.is(again.code, 1);
  t.regex(again.stderr, /403 FORBIDDEN/);
});

test('sync triggers a sync with a platform token and prints the status; status --org adds the summary', async (t) => {
  const before = sync.triggers.length;
  const [synced, refused, status] = await Promise.all([
    kradle(['sync'], as(tokens.platform)),
    kradle(['sync'], as(tokens.initechWriter)),
    kradle(['status', '--org', 'acme'], as(tokens.acmeReader)),
  ]);
  t.is(synced.code, 0, synced.stderr);
  t.is(sync.triggers.length, before + 1);
  t.is(sync.triggers.at(-1), 'api');
  t.regex(synced.stdout, /^sync triggered\nstate: +Idle\nsynced revision: +rev-1\n/);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /403 FORBIDDEN: this route needs a platform token/);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /\norg acme at revision rev-\d+\nresources: +5 \(Repository 5\)\nobjects: +2\n +sync: +OutOfSync 1, Synced 1\n +health: +Degraded 1, Healthy 1/);
  const json = await kradle(['status', '--format', 'json'], as(tokens.acmeReader));
  t.like(JSON.parse(json.stdout), { sync: { state: 'Idle', clusterReachable: true } });
});

test('exit 2: no server listening, a 5xx answer, usage errors', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
  const dead = `http://127.0.0.1:${port}`;
  const runs = await Promise.all([
    kradle(['status'], as(tokens.acmeReader, dead)),
    kradle(['apply', '-f', '-', '--org', 'initech'], as(tokens.initechWriter, readOnly.url), 'kind: Repository\nmetadata: {name: r}\nspec: {visibility: public}\n'),
    kradle(['get', 'Repository'], as(tokens.acmeReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--format', 'xml'], as(tokens.acmeReader)),
    kradle(['list', 'Repository', '--org', 'acme', '--limit', '0'], as(tokens.acmeReader)),
    kradle(['delete', 'Repository', 'x', '--org', 'acme', '--bogus'], as(tokens.acmeReader)),
    kradle(['get', 'Repository', 'repo-a'], as(tokens.acmeReader)),
  ]);
  t.deepEqual(runs.map((r) => r.code), [2, 2, 2, 2, 2, 2, 2]);
  t.is(runs[0]!.stderr.trim(), `kradle status: cannot reach the Kradle server at ${dead}: ECONNREFUSED`);
  t.regex(runs[1]!.stderr, /503 WAITING: write-back to the config repo is not configured/);
  t.regex(runs[2]!.stderr, /expected KIND and NAME\nusage: kradle get/);
  t.regex(runs[3]!.stderr, /--format must be one of text, json/);
  t.regex(runs[4]!.stderr, /--limit must be a positive integer/);
  t.regex(runs[5]!.stderr, /Unknown option '--bogus'/);
  t.regex(runs[6]!.stderr, /--org is required/);
});

test('--format json: every failure of a remote command is the error envelope on stdout, with the same text and exit code', async (t) => {
  const envelope = async (args: string[], env: Record<string, string>, code: number, errorCode: string, stdin?: string) => {
    const out = await kradle([...args, '--format', 'json'], env, stdin);
    t.is(out.code, code, out.stderr);
    const body = JSON.parse(out.stdout);
    t.deepEqual(Object.keys(body), ['error'], out.stdout);
    t.is(body.error.code, errorCode, out.stdout);
    t.not(out.stderr.trim(), '', 'the message stays on stderr');
    return body.error;
  };
  const missing = await envelope(['get', 'Repository', 'nope', '--org', 'acme'], as(tokens.acmeReader), 1, 'NOT_FOUND');
  t.is(missing.message, 'Repository nope not found in org acme');
  await envelope(['list', 'Repository', '--org', 'acme'], as(tokens.globexReader), 1, 'FORBIDDEN');
  await envelope(['list', 'Repository'], as(tokens.acmeReader), 2, 'BAD_REQUEST');
  await envelope(['delete', 'Repository', 'x', '--org', 'acme', '--bogus'], as(tokens.acmeReader), 2, 'BAD_REQUEST');
  await envelope(['retry', 'run-1', '--org', 'acme'], as(tokens.acmeReader, 'http://127.0.0.1:1'), 2, 'UNREACHABLE');
  await envelope(['stacks'], as(tokens.acmeReader, 'http://127.0.0.1:1'), 2, 'UNREACHABLE');
  await envelope(['status', '--org', 'acme'], as(tokens.acmeReader, 'not-a-url'), 2, 'BAD_REQUEST');
  await envelope(['apply', '-f', '-', '--org', 'acme'], as(tokens.acmeReader), 1, 'BAD_REQUEST', 'kind: [unclosed\n');
  await envelope(['apply', '-f', '-', '--org', 'initech'], as(tokens.initechWriter, readOnly.url), 2, 'WAITING', 'kind: Repository\nmetadata: {name: r}\nspec: {visibility: public}\n');
});
