// `kradle serve` as an operator watches it: quiet polls, honest sync state in plan-only mode, one log line per
// sync that changed something or failed. The real server (plan-only, PGlite), its HTTP API and `kradle status`.
import { createHmac } from 'node:crypto';
import test from 'ava';
import { createLogger } from '../../src/cli/logger.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { createTestRepo, tempDir, type TestRepo } from '../support/git-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { orgDocs } from '../support/sync-harness.ts';

interface LogLine {
  level: number;
  msg: string;
  revision?: string;
  errors?: string[];
  created?: number;
}

let repo: TestRepo;
let server: RunningServer;
let token: string;
const logged: LogLine[] = [];
const WEBHOOK_SECRET = 'test-webhook-secret';

test.before(async () => {
  repo = createTestRepo();
  repo.commit(orgDocs('acme'), 'add acme');
  server = await startServer({
    repo: repo.dir,
    port: 0,
    host: '127.0.0.1',
    stateDir: tempDir('kradle-state-'),
    dataDir: 'memory://',
    env: {},
    // Polls come fast so the test sees several; each one finds the same revision.
    pollIntervalMs: 100,
    gitWebhookSecret: WEBHOOK_SECRET,
    logger: await createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as LogLine) }),
  });
  token = (await import('node:fs')).readFileSync(server.adminTokenFile!, 'utf8').trim();
});

test.after.always(async () => {
  await server?.close();
});

async function api(method: string, path: string): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${server.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, text };
}

async function unchangedFetches(): Promise<number> {
  const m = /^kradle_sync_unchanged_fetches_total (\d+)/m.exec((await api('GET', '/metrics')).text);
  return m ? Number(m[1]) : 0;
}

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The store's latest event sequence, as the event stream tells a client whose Last-Event-ID is past it. */
async function latestEventSeq(): Promise<number> {
  const aborted = new AbortController();
  const res = await fetch(`${server.url}/api/events`, { headers: { authorization: `Bearer ${token}`, 'last-event-id': '999999999' }, signal: aborted.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let reset: RegExpExecArray | null = null;
  while (!(reset = /data: (\{"type":"reset".*\})\n/.exec(text))) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
  }
  aborted.abort();
  return (JSON.parse(reset![1]!) as { latest: number }).latest;
}

const runs = async () => (await api('GET', '/api/sync/runs?limit=100')).body.items as { outcome: string; revision: string }[];
const syncLines = () => logged.filter((l) => l.msg.startsWith('sync: '));

const kradleStatus = () => runKradle(['status'], { env: { KRADLE_SERVER: server.url, KRADLE_TOKEN: token } });

test.serial('polls and push webhooks that find the same revision record no run and no event, only a metric; POST /api/sync records its run', async (t) => {
  const head = repo.head();
  await until('the first sync', () => api('GET', '/api/sync'), (r) => r.body.syncedRevision === head);
  const before = await unchangedFetches();
  const runsBefore = (await runs()).length;
  const eventsBefore = await latestEventSeq();
  t.is(runsBefore, 1, 'the first pass recorded one run');
  await until('three more polls', unchangedFetches, (n) => n >= before + 3);
  t.is((await runs()).length, runsBefore, 'no run for a poll that found the same revision');
  t.is(await latestEventSeq(), eventsBefore, 'no event either');
  t.is((await api('GET', '/api/sync')).body.state, 'Idle');

  // A signed push webhook for the synced branch that brings nothing new: no run either.
  const push = Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: head }));
  const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(push).digest('hex')}`;
  const hook = await fetch(`${server.url}/api/webhooks/git`, { method: 'POST', body: push, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature } });
  t.is(hook.status, 202);
  t.like(await hook.json(), { triggered: true });
  const afterHook = await unchangedFetches();
  await until('the webhook sync and a poll', unchangedFetches, (n) => n >= afterHook + 2);
  t.is((await runs()).length, runsBefore, 'no run for a webhook that found the same revision');

  const asked = await api('POST', '/api/sync?wait=60');
  t.is(asked.status, 200);
  t.is(asked.body.lastRun.revision, head);
  t.is((await runs()).length, runsBefore + 1, 'an explicit sync records its run');
});

test.serial('plan-only mode is reported as such by /api/sync, /readyz, /api/controller and kradle status', async (t) => {
  const sync = (await api('GET', '/api/sync')).body;
  t.is(sync.mode, 'plan-only');
  t.false(sync.clusterReachable, 'no cluster is claimed reachable');
  const ready = await api('GET', '/readyz');
  t.is(ready.status, 200, 'plan-only is how the server was started, not an outage');
  t.like(ready.body.checks.cluster, { ok: true, mode: 'plan-only' });
  t.like((await api('GET', '/api/controller')).body.sync, { mode: 'plan-only', clusterReachable: false });
  const status = await kradleStatus();
  t.is(status.code, 0);
  t.regex(status.stdout, /^cluster: +not connected \(plan-only/m);
  t.notRegex(status.stdout, /cluster: +reachable/);
});

test.serial('an invalid revision is ValidationFailed, logged once at warn with file:line, and not re-run by polls', async (t) => {
  const good = repo.head();
  const bad = repo.commit({ 'orgs/acme/teams/broken.yaml': 'kind: Team\nmetadata: [unclosed\n' }, 'break');
  const sync = (await until('the invalid revision', () => api('GET', '/api/sync'), (r) => r.body.lastAttemptedRevision === bad)).body;
  t.is(sync.state, 'ValidationFailed');
  t.is(sync.syncedRevision, good, 'the last good revision stays applied');
  t.like((await api('GET', '/api/controller')).body.sync, { state: 'ValidationFailed' });
  t.regex((await kradleStatus()).stdout, new RegExp(`^state: +ValidationFailed \\(revision ${bad.slice(0, 12)} is invalid`, 'm'));
  const recorded = (await runs()).length;
  const polls = await unchangedFetches();
  await until('three more polls', unchangedFetches, (n) => n >= polls + 3);
  t.is((await runs()).length, recorded, 'the invalid revision is not recorded again at each poll');
  t.is((await api('GET', '/api/sync')).body.state, 'ValidationFailed');

  const lines = syncLines().filter((l) => l.revision === bad);
  t.is(lines.length, 1, 'one line for the failed sync');
  t.is(lines[0]!.level, 40, 'at warn');
  t.regex(lines[0]!.msg, new RegExp(`revision ${bad.slice(0, 12)} is invalid`));
  t.true(lines[0]!.errors!.some((e) => /^orgs\/acme\/teams\/broken\.yaml:\d+:\d+: YAML_SYNTAX/.test(e)), 'the first errors with file:line');
});

test.serial('one info line per sync that changed something, with its counts; none for a pass that changed nothing', async (t) => {
  const first = syncLines()[0]!;
  t.is(first.level, 30);
  t.regex(first.msg, /^sync: revision [0-9a-f]{12} applied: created 0, configured 0, pruned 0, planned \d+/);
  const fixed = repo.commit({ 'orgs/acme/teams/broken.yaml': null, 'orgs/acme/teams/second.yaml': orgDocs('acme')['orgs/acme/teams/platform.yaml']!.replace('name: platform', 'name: second') }, 'fix');
  await until('the fix', () => api('GET', '/api/sync'), (r) => r.body.syncedRevision === fixed);
  t.is((await api('GET', '/api/sync')).body.state, 'Idle');
  const lines = syncLines().filter((l) => l.revision === fixed);
  t.is(lines.length, 1);
  t.is(lines[0]!.level, 30);
  t.regex(lines[0]!.msg, /planned [1-9]/, 'the new team is counted');
  // The explicit sync of the first test changed nothing: it left no line.
  t.is(syncLines().length, 3, 'first sync, invalid revision, fix: nothing else');
});

test.serial('kradle sync exits 1 when the pass it asked for failed, and 0 once the revision syncs', async (t) => {
  const env = { KRADLE_SERVER: server.url, KRADLE_TOKEN: token };
  const good = repo.head();
  const bad = repo.commit({ 'orgs/acme/teams/broken.yaml': 'kind: Team\nmetadata: [unclosed\n' }, 'break again');
  const refused = await runKradle(['sync'], { env });
  t.is(refused.code, 1, refused.stderr);
  t.regex(refused.stdout, new RegExp(`^state: +ValidationFailed \\(revision ${bad.slice(0, 12)} is invalid`, 'm'));
  t.regex(refused.stdout, new RegExp(`^synced revision: +${good}$`, 'm'), 'the status is printed all the same');
  const json = await runKradle(['sync', '--format', 'json'], { env });
  t.is(json.code, 1);
  t.is(JSON.parse(json.stdout).sync.state, 'ValidationFailed');
  const fixed = repo.commit({ 'orgs/acme/teams/broken.yaml': null }, 'fix again');
  const synced = await runKradle(['sync'], { env });
  t.is(synced.code, 0, synced.stderr);
  t.regex(synced.stdout, new RegExp(`^state: +Idle\\nsynced revision: +${fixed}$`, 'm'));
});

test.serial('kradle status --org prints each error of an invalid revision once', async (t) => {
  const bad = repo.commit({ 'orgs/acme/teams/broken.yaml': 'kind: Team\nmetadata: [unclosed\n' }, 'break once more');
  await until('the invalid revision', () => api('GET', '/api/sync'), (r) => r.body.lastAttemptedRevision === bad);
  const status = await runKradle(['status', '--org', 'acme'], { env: { KRADLE_SERVER: server.url, KRADLE_TOKEN: token } });
  t.is(status.code, 0, status.stderr);
  const errors = status.stdout.split('\nerrors:\n')[1]?.trimEnd().split('\n') ?? [];
  t.true(errors.length > 0, status.stdout);
  t.true(errors.every((e) => /^ {2}orgs\/acme\/teams\/broken\.yaml:\d+:\d+: YAML_SYNTAX /.test(e)), status.stdout);
  t.is(new Set(errors).size, errors.length, `no error printed twice:\n${status.stdout}`);
});
