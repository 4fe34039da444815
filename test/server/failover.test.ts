// Two `kradle serve` processes on one PostgreSQL database, the leader killed with SIGKILL or cut off from its
// lock: the follower takes over on its own clock (whatever --poll-interval says), closes the dead leader's
// sync run as Interrupted and applies the newest commit. Needs DATABASE_URL (PGlite admits one process).
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createStore, type Store } from '../../src/store/index.ts';
import { createTestRepo, tempDir, type TestRepo } from '../support/git-repo.ts';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server/index.ts';
import { databaseUrl, uniqueName } from '../support/store.ts';
import { orgDocs } from '../support/sync-harness.ts';

const BIN = fileURLToPath(new URL('../../bin/kradle.js', import.meta.url));
const GROUP = 'kradle.a5c.ai/v1alpha1';
const team = (slug: string) => ({ apiVersion: GROUP, kind: 'Team', namespace: `kradle-org-${slug}`, name: 'platform' });
const teamPath = (slug: string) => `/apis/kradle.a5c.ai/v1alpha1/namespaces/kradle-org-${slug}/teams/platform`;
const serial = databaseUrl ? test.serial : test.skip;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

interface Replica {
  url: string;
  stateDir: string;
  proc: ChildProcess;
  readyz(): Promise<{ role?: string; ok?: boolean }>;
}

let kube: KubeApiServer;
let admin: Store;
const databases: string[] = [];
const children: ChildProcess[] = [];

test.before(async () => {
  if (!databaseUrl) return;
  kube = await startKubeApiServer();
  admin = createStore({ databaseUrl, poolSize: 1 });
});

test.after.always(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  for (const db of databases) await admin?.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
  await admin?.close();
  await kube?.stop();
});

/** A database of its own, so the replicas' leader lock and tables are shared by them alone. */
async function freshDatabase(): Promise<string> {
  const name = uniqueName('kradle_failover').replace(/-/g, '_');
  await admin.query(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(databaseUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function serve(repo: TestRepo, db: string): Promise<Replica> {
  const stateDir = tempDir('kradle-replica-');
  const proc = spawn(process.execPath, [
    BIN, 'serve', '--repo', repo.dir, '--port', '0', '--database-url', db, '--state-dir', stateDir,
    '--kubeconfig', kube.kubeConfigPath, '--poll-interval', '3600',
  ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  children.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (chunk) => (stderr += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      const entry = JSON.parse(line.startsWith('{') ? line : '{}') as { msg?: string; url?: string };
      if (entry.msg === 'kradle API listening' && entry.url) resolve(entry.url);
    });
    proc.once('exit', (code) => reject(new Error(`kradle serve exited (${code}) before listening: ${stderr.slice(-2000)}`)));
  });
  const readyz = async () => (await (await fetch(`${url}/readyz`)).json()) as { role?: string; ok?: boolean };
  return { url, stateDir, proc, readyz };
}

async function api(replica: Replica, token: string, method: string, path: string) {
  const res = await fetch(`${replica.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

const displayName = (slug: string) => (kube.object(team(slug))?.spec as { displayName?: string } | undefined)?.displayName;

async function pair(t: ExecutionContext, slug: string, extra: Record<string, string> = {}) {
  const repo = createTestRepo();
  const docs = { ...orgDocs(slug), ...extra };
  const first = repo.commit(docs, `add ${slug}`);
  const db = await freshDatabase();
  const leader = await serve(repo, db);
  await until(async () => (await leader.readyz()).role === 'leader', 'the first replica leading');
  const token = readFileSync(join(leader.stateDir, 'admin-token'), 'utf8').trim();
  await until(async () => (await api(leader, token, 'GET', '/api/sync')).body?.syncedRevision === first, 'the first commit applied');
  const follower = await serve(repo, db);
  t.is((await follower.readyz()).role, 'follower');
  const rename = (name: string) => ({ [`orgs/${slug}/teams/platform.yaml`]: docs[`orgs/${slug}/teams/platform.yaml`]!.replace('displayName: Platform', `displayName: ${name}`) });
  return { repo, leader, follower, token, rename };
}

serial('the leader killed with SIGKILL mid-apply: the follower takes over whatever its poll interval, closes the run as Interrupted and applies the new commit', async (t) => {
  const { repo, leader, follower, token, rename } = await pair(t, 'fail');
  // The leader is caught half-way through applying a commit: its apply of the Team waits at the API server.
  const held = kube.faults.hold({ method: 'PATCH', path: new RegExp(`${teamPath('fail')}$`) });
  const stuck = repo.commit(rename('Platform Stuck'), 'rename');
  void api(leader, token, 'POST', '/api/sync').catch(() => undefined);
  await until(() => held.held() > 0, 'the leader mid-apply');
  const running = (await api(follower, token, 'GET', '/api/sync/runs')).body.items.find((r: any) => r.revision === stuck);
  t.is(running?.outcome, 'Running');

  leader.proc.kill('SIGKILL');
  const killedAt = Date.now();
  held.release();
  const latest = repo.commit(rename('Platform Team'), 'rename again');
  // --poll-interval 3600: only the follower's own lock retries can make it apply within this wait.
  await until(async () => (await follower.readyz()).role === 'leader', 'the follower leading', 30_000);
  const tookOver = Date.now() - killedAt;
  await until(() => displayName('fail') === 'Platform Team', 'the new commit applied by the new leader', 30_000);
  t.log(`took the lock ${tookOver} ms and applied the new commit ${Date.now() - killedAt} ms after SIGKILL (poll interval 3600 s)`);

  type Run = { id: number; revision: string; outcome: string; errors: { code: string }[] };
  const runs = async () => (await api(follower, token, 'GET', '/api/sync/runs')).body.items as Run[];
  // The new leader's own passes finish too: no run stays Running.
  await until(async () => !(await runs()).some((r) => r.outcome === 'Running'), 'every run finished');
  const interrupted = (await runs()).find((r) => r.id === running.id);
  t.is(interrupted?.outcome, 'Interrupted');
  t.is(interrupted?.errors[0]?.code, 'INTERRUPTED');
  t.true((await runs()).some((r) => r.revision === latest && r.outcome === 'Succeeded'));
});

serial('a leader that loses its lock stops applying; it follows until it gets the lock back', async (t) => {
  const { repo, leader, follower, token, rename } = await pair(t, 'cut');
  follower.proc.kill('SIGKILL');
  t.is((await leader.readyz()).role, 'leader');
  // Another holder grabs the lock the moment the leader's session is terminated (as a new leader would).
  const url = new URL(databaseUrl!);
  url.pathname = `/${databases.at(-1)}`;
  const thief = createStore({ databaseUrl: url.toString(), poolSize: 2 });
  t.teardown(() => thief.close());
  const cutAt = Date.now();
  let lease;
  while (!lease) {
    await thief.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'kradle-leader:kradle-sync'`);
    lease = await thief.tryAcquireLeader('kradle-sync');
  }
  await until(async () => (await leader.readyz()).role === 'follower', 'the old leader following', 10_000);
  t.log(`the replica reported follower ${Date.now() - cutAt} ms after its lock was taken`);
  const renamed = repo.commit(rename('Not Applied'), 'rename while following');
  await api(leader, token, 'POST', '/api/sync');
  await until(async () => (await api(leader, token, 'GET', '/api/sync')).body.fetchedRevision === renamed, 'the follower loading the commit');
  t.not((await api(leader, token, 'GET', '/api/sync')).body.syncedRevision, renamed, 'a follower does not report as synced a revision no leader applied');
  t.is(displayName('cut'), 'Platform', 'a follower loads the commit to serve it, and applies nothing');

  await lease.release();
  await until(async () => (await leader.readyz()).role === 'leader', 'the replica leading again', 10_000);
  await until(() => displayName('cut') === 'Not Applied', 'the commit applied once it leads again', 30_000);
  t.pass();
});

serial('the leader killed with SIGKILL mid-delivery: the next leader sends the event again under the same delivery id, and no record stays Pending', async (t) => {
  const got: { id: string; name: string }[] = [];
  let holding = true;
  const rx = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    got.push({ id: String(req.headers['x-kradle-delivery']), name: JSON.parse(body).name });
    if (!holding) res.end('ok');
  });
  rx.listen(0, '127.0.0.1');
  await once(rx, 'listening');
  t.teardown(() => {
    rx.closeAllConnections();
    rx.close();
  });
  const slug = 'hooks';
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `kradle-org-${slug}` } });
  kube.put({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'hook-secret', namespace: `kradle-org-${slug}` }, data: { token: Buffer.from('whsec-1').toString('base64') } });
  const subscription = `apiVersion: kradle.a5c.ai/v1alpha1
kind: WebhookSubscription
metadata:
  name: receiver
spec:
  organizationRef: ${slug}
  url: http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook
  events: [Issue.ADDED]
  secretRef: { name: hook-secret, key: token }
`;
  const { leader, follower, token } = await pair(t, slug, { [`orgs/${slug}/webhooksubscriptions/receiver.yaml`]: subscription });
  const issue = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Issue', metadata: { name: 'i1' }, spec: { organizationRef: slug, title: 'one' } };
  const created = await fetch(`${leader.url}/api/orgs/${slug}/resources`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(issue) });
  t.is(created.status, 201);
  await until(() => got.length >= 1, 'the leader sending the event');
  leader.proc.kill('SIGKILL');
  holding = false;
  await until(() => got.length >= 2, 'the new leader sending the event again', 30_000);
  const deliveries = async () => (await api(follower, token, 'GET', `/api/orgs/${slug}/runtime-resources/WebhookDelivery`)).body.items as { metadata: { name: string }; status: { phase?: string; attempt?: number } }[];
  await until(async () => (await deliveries()).every((d) => d.status.phase === 'Delivered'), 'the delivery Delivered');
  const [record, ...more] = await deliveries();
  t.deepEqual(more, [], 'one record for the event');
  t.deepEqual([...new Set(got.map((g) => g.id))], [record!.metadata.name], 'both sends carry the one delivery id');
  t.deepEqual([...new Set(got.map((g) => g.name))], ['i1']);
  t.is(record!.status.attempt, 2);
});
