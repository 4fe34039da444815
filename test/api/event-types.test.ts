import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { EVENT_TYPES } from '../../src/api/event-catalog.ts';
import { buildCrds } from '../../src/cluster/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { createTestSync, crdsFor, liveDriverFor, orgDocs } from '../support/sync-harness.ts';
import { makeToken, openSse, startApi, type SseMessage } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

// Repository is left out on purpose: its custom resource is then not served, which fails beta's objects.
const CRDS = crdsFor(['Organization', 'OrgNamespaceBinding', 'Team', 'AgentServiceAccount', 'RunnerPool'], buildCrds());

let kube: KubeApiServer;
test.before(async () => {
  kube = await startKubeApiServer();
});
test.after.always(() => kube?.stop());

for (const d of testDrivers(test)) suite(d);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? sources(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
}

/** The catalog entry naming a type: itself, or a `PREFIX_*` family. */
const documented = (type: string) => EVENT_TYPES.find((e) => e.type === type || (e.type.endsWith('*') && type.startsWith(e.type.slice(0, -1))));

test('every event type the code publishes is in the catalog, and the README names every catalog type', (t) => {
  const constants = new Map<string, string>();
  const files = sources('src').map((f) => readFileSync(f, 'utf8'));
  for (const text of files) for (const m of text.matchAll(/export const ([A-Z_]+) = '(\w+)'/g)) constants.set(m[1]!, m[2]!);
  const published = new Set<string>();
  for (const text of files) {
    // publish({ ..., type: <expression of literals and constants>, ... }) and the agents' publish(org, 'X', ...) helpers.
    for (const m of text.matchAll(/publish\(\{[^}]*?\btype: ([^,]+),/g)) {
      for (const lit of m[1]!.matchAll(/'(\w+)'|\b([A-Z][A-Z_]+)\b/g)) {
        const type = lit[1] ?? constants.get(lit[2]!);
        if (type && !['Succeeded', 'Failed'].includes(type)) published.add(type);
      }
    }
    for (const m of text.matchAll(/[Pp]ublish\w*\([^)]*?\)?\(?\s*org, '([A-Z_]+)'/g)) published.add(m[1]!);
    // ... and publish({ ..., type, ... }) of a `const type = ...` just before it.
    for (const m of text.matchAll(/const type = ([^;]+);[\s\S]{0,200}?publish\(\{[^}]*?\btype,/g)) for (const lit of m[1]!.matchAll(/'(\w+)'/g)) published.add(lit[1]!);
    // The status model writes its events in SQL, named by a constant of its own file.
    if (/INSERT INTO events/.test(text)) for (const m of text.matchAll(/export const [A-Z_]+ = '(\w+)'/g)) published.add(m[1]!);
  }
  for (const type of ['SyncStarted', 'SyncSucceeded', 'ResourceCreated', 'NOTIFICATION', 'RUN_CREATED', 'APPROVAL_REQUESTED', 'GitObjectRecorded', 'ResourceStatusChanged']) t.true(published.has(type), `the scan finds ${type}`);
  for (const type of published) t.truthy(documented(type), `${type} is published by src/ and documented in src/api/event-catalog.ts`);
  const readme = readFileSync('README.md', 'utf8');
  const table = readme.slice(readme.indexOf('### Event types'), readme.indexOf('### More routes of the spec'));
  for (const e of EVENT_TYPES) t.true(table.includes('`' + e.type.replace(/\*$/, '')), `README's event table names ${e.type}`);
});

type Stream = Awaited<ReturnType<typeof openSse>>;

/** ResourceStatusChanged events of each stream, kept apart: the status writer's timing is its own. */
const statusEvents = new Map<Stream, SseMessage[]>();

/** Events of a stream up to and including the first of type `last` (status changes set aside). */
async function until(s: Stream, last: string): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for (;;) {
    const m = await s.next();
    if (!m) throw new Error(`the stream ended before a ${last} event; got ${out.map((e) => e.data.type).join(', ')}`);
    if (m.id === undefined) continue;
    if (m.data.type === 'ResourceStatusChanged') {
      statusEvents.set(s, [...(statusEvents.get(s) ?? []), m]);
      continue;
    }
    out.push(m);
    if (m.data.type === last) return out;
  }
}

const REPO_BETA = `apiVersion: kradle.a5c.ai/v1alpha1
kind: Repository
metadata:
  name: web
spec:
  organizationRef: beta
  visibility: private
`;

function suite(d: TestDriver) {
  test(`${d.name}: each org's stream gets its resources created, changed and deleted and its share of every sync outcome; no other org's`, async (t) => {
    const store = await d.store();
    const api = await startApi({ store, config: fakeConfig([]), sync: fakeSync() });
    const repo = createTestRepo();
    const sync = createTestSync({ repoDir: repo.dir, store, driver: liveDriverFor(kube), crds: CRDS });
    t.teardown(async () => {
      await sync.stop();
      await api.close();
      repo.remove();
    });
    const alpha = await openSse(api.url, '/api/orgs/alpha/events', await makeToken(api.app, 'alpha', 'reader'));
    const beta = await openSse(api.url, '/api/orgs/beta/events?named=false', await makeToken(api.app, 'beta', 'reader'));
    const platform = await openSse(api.url, '/api/events', await makeToken(api.app, '*', 'reader'));
    t.teardown(() => [alpha, beta, platform].forEach((s) => s.close()));

    // 1. Two orgs appear; beta's Repository cannot be applied (its CRD is not served).
    const first = repo.commit({ ...orgDocs('alpha'), ...orgDocs('beta'), 'orgs/beta/repositories/web.yaml': REPO_BETA }, 'two orgs');
    await sync.start();
    await sync.trigger('test');
    const a1 = await until(alpha, 'SyncSucceeded');
    t.true(a1.every((m) => m.data.org === 'alpha'), 'only alpha events on alpha stream');
    const created = a1.filter((m) => m.data.type === 'ResourceCreated');
    t.deepEqual(created.map((m) => `${m.data.kind}/${m.data.name}`).sort(), ['AgentServiceAccount/runner', 'Organization/alpha', 'RunnerPool/default', 'Team/platform']);
    for (const m of created) {
      t.is(m.event, 'ResourceCreated', 'named events by default');
      t.like(m.data.payload, { revision: first });
      t.regex(m.data.payload.source.path, /^orgs\/alpha\//);
    }
    t.like(created.find((m) => m.data.kind === 'Team')!.data, { namespace: 'kradle-org-alpha', payload: { source: { path: 'orgs/alpha/teams/platform.yaml', line: 1 } } });
    t.like(a1.at(-1)!.data, { type: 'SyncSucceeded', kind: 'SyncRun', payload: { revision: first, outcome: 'Succeeded', created: 4, changed: 0, deleted: 0, errorCount: 0 } });
    // The org's share opens with its SyncStarted, of the same run, carrying when the pass began.
    t.like(a1[0]!.data, { type: 'SyncStarted', org: 'alpha', kind: 'SyncRun', name: a1.at(-1)!.data.name, payload: { revision: first } });
    t.false(Number.isNaN(Date.parse(a1[0]!.data.payload.startedAt)), 'startedAt is a time');
    t.is(a1.filter((m) => m.data.type === 'SyncStarted').length, 1);

    const alphaStatus = statusEvents.get(alpha) ?? [];
    t.true(alphaStatus.some((m) => m.data.kind === 'Team' && m.data.name === 'platform'), 'status changes reach the org stream');
    t.true(alphaStatus.every((m) => m.data.org === 'alpha' && typeof m.data.payload?.phase === 'string'));

    const b1 = await until(beta, 'SyncFailed');
    t.true(b1.every((m) => m.data.org === 'beta'));
    t.like(b1[0]!.data, { type: 'SyncStarted', org: 'beta', payload: { revision: first } });
    t.true(b1.every((m) => m.event === undefined), '?named=false: no event line, so onmessage fires');
    t.is(b1.filter((m) => m.data.type === 'ResourceCreated').length, 5);
    const failed = b1.at(-1)!.data;
    t.like(failed.payload, { revision: first, outcome: 'Failed', created: 5 });
    t.true(failed.payload.errorCount >= 1);
    t.regex(failed.payload.errors[0].message, /Repository/);

    const p1 = await until(platform, 'SyncFailed');
    t.true(p1.some((m) => m.data.type === 'SyncFailed' && m.data.org === null), 'the platform outcome keeps org null');
    t.like(p1[0]!.data, { type: 'SyncStarted', org: null, kind: 'SyncRun', name: a1.at(-1)!.data.name, payload: { revision: first } }, 'the platform hears of the pass as it begins');

    // 2. A change and a delete in alpha: ResourceChanged and ResourceDeleted, nothing on beta's stream.
    const team = orgDocs('alpha')['orgs/alpha/teams/platform.yaml']!.replace('displayName: Platform', 'displayName: Platform Team');
    const second = repo.commit({ 'orgs/alpha/teams/platform.yaml': team, 'orgs/alpha/runnerpools/default.yaml': null }, 'edit alpha');
    await sync.trigger('test');
    const a2 = await until(alpha, 'SyncSucceeded');
    const run2 = a2.at(-1)!.data.name;
    t.deepEqual(a2.map((m) => `${m.data.type} ${m.data.kind}/${m.data.name}`), [`SyncStarted SyncRun/${run2}`, 'ResourceChanged Team/platform', 'ResourceDeleted RunnerPool/default', `SyncSucceeded SyncRun/${run2}`]);
    t.like(a2[0]!.data.payload, { revision: second });
    t.like(a2[1]!.data.payload, { revision: second, previousRevision: first });
    t.like(a2[2]!.data.payload, { revision: second, previousRevision: first, source: { path: 'orgs/alpha/runnerpools/default.yaml' } });
    t.like(a2[3]!.data.payload, { changed: 1, deleted: 1, created: 0 });

    // 3. A broken file in alpha: alpha gets its errors with file and line; beta (still failing) gets its share too.
    repo.commit({ 'orgs/alpha/teams/broken.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: broken\nspec:\n  organizationRef: nowhere\n  displayName: B\n' }, 'break alpha');
    await sync.trigger('test');
    const a3 = await until(alpha, 'ValidationFailed');
    t.deepEqual(a3.map((m) => m.data.type), ['SyncStarted', 'ValidationFailed'], 'nothing else happened to alpha');
    t.is(a3[0]!.data.name, a3[1]!.data.name);
    t.like(a3[1]!.data, { org: 'alpha', kind: 'SyncRun', payload: { errorCount: 1 } });
    t.regex(a3[1]!.data.payload.errors[0], /^orgs\/alpha\/teams\/broken\.yaml:\d+:\d+: MISSING_ORG /);
    const p3 = await until(platform, 'ValidationFailed');
    t.true(p3.some((m) => m.data.type === 'ValidationFailed' && m.data.org === null));

    // Beta's stream carried no event of alpha all along: only its own failing outcome until its Repository goes.
    repo.commit({ 'orgs/alpha/teams/broken.yaml': null, 'orgs/beta/repositories/web.yaml': null }, 'fix');
    await sync.trigger('test');
    const b2 = await until(beta, 'SyncSucceeded');
    t.true(b2.every((m) => m.data.org === 'beta'));
    const failing = b2.slice(0, -3);
    t.true(failing.length > 0 && failing.every((m, i) => m.data.type === (i % 2 ? 'SyncFailed' : 'SyncStarted')), 'while its object fails, every pass tells beta so, each opened by SyncStarted');
    const a4 = await until(alpha, 'SyncSucceeded');
    t.deepEqual(a4.map((m) => m.data.type), ['SyncStarted', 'SyncSucceeded'], 'alpha learns its configuration loads again, though none of its resources changed');
    t.like(a4[1]!.data.payload, { created: 0, changed: 0, deleted: 0, errorCount: 0 });
    const run4 = b2.at(-1)!.data.name;
    t.deepEqual(b2.slice(-3).map((m) => `${m.data.type} ${m.data.kind}/${m.data.name}`), [`SyncStarted SyncRun/${run4}`, 'ResourceDeleted Repository/web', `SyncSucceeded SyncRun/${run4}`]);
  });
}
