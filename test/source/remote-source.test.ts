import test from 'ava';
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createGitSource } from '../../src/source/index.ts';
import { UpstreamError } from '../../src/errors/index.ts';
import { createBareClone, createTestRepo, runGitAsync, tempDir, type TestRepo } from '../support/git-repo.ts';
import { startGitHttpServer, type GitHttpServer, type GitHttpServerOptions } from '../support/git-http-server.ts';

const doc = (name: string, extra = '') => `kind: Team\nmetadata:\n  name: ${name}\n${extra}`;

interface Remote {
  repo: TestRepo;
  server: GitHttpServer;
  url: string;
  cacheDir: string;
  first: string;
  bare: string;
  /** Commits in the working repo and pushes to the served bare repo; returns the commit id. */
  push(files: Record<string, string | null>): Promise<string>;
}

async function remote(t: { teardown(fn: () => unknown): void }, auth: Omit<GitHttpServerOptions, 'root'> = {}): Promise<Remote> {
  const repo = createTestRepo();
  const first = repo.commit({ 'orgs/acme/organization.yaml': doc('acme'), 'orgs/acme/teams/core.yaml': doc('core'), 'x.txt': 'x' });
  const bare = createBareClone(repo.dir);
  const server = await startGitHttpServer({ root: dirname(bare), ...auth });
  const cacheDir = join(tempDir('kradle-cache-'), 'c');
  t.teardown(async () => {
    await server.close();
    for (const d of [repo.dir, dirname(bare), dirname(cacheDir)]) rmSync(d, { recursive: true, force: true });
  });
  const push = async (files: Record<string, string | null>) => {
    const commit = repo.commit(files);
    await runGitAsync(repo.dir, ['push', '-q', bare, 'main']);
    return commit;
  };
  return { repo, server, url: `${server.url}/${basename(bare)}`, cacheDir, first, bare, push };
}

test('fetch brings the remote HEAD branch into the cache dir; a new commit is seen and diffed', async (t) => {
  const r = await remote(t);
  const source = createGitSource({ url: r.url, cacheDir: r.cacheDir, path: 'orgs' });
  t.deepEqual(await source.fetch(), { commit: r.first, changed: true });
  t.is(source.ref, 'main');
  t.deepEqual((await source.snapshot(r.first)).files.map((f) => f.path), ['orgs/acme/organization.yaml', 'orgs/acme/teams/core.yaml']);
  t.deepEqual(await source.fetch(), { commit: r.first, changed: false });

  const second = await r.push({ 'orgs/acme/teams/core.yaml': doc('core', 'spec: {}\n'), 'orgs/beta/organization.yaml': doc('beta') });
  t.deepEqual(await source.fetch(), { commit: second, changed: true });
  t.deepEqual(await source.changedPaths(r.first, second), ['orgs/acme/teams/core.yaml', 'orgs/beta/organization.yaml']);
  const snap = await source.snapshot(second);
  const beta = snap.files.find((f) => f.path === 'orgs/beta/organization.yaml')!;
  t.is(Buffer.from(await snap.readBlob(beta.oid)).toString(), doc('beta'));
  t.is(await source.resolve('main'), second);
});

test('changedPaths against a commit older than the shallow history deepens the fetch', async (t) => {
  const r = await remote(t);
  const second = await r.push({ 'orgs/acme/teams/a.yaml': doc('a') });
  const third = await r.push({ 'orgs/acme/teams/b.yaml': doc('b') });
  const source = createGitSource({ url: r.url, cacheDir: r.cacheDir });
  t.is((await source.fetch()).commit, third);
  const fetchesBefore = r.server.requests.filter((q) => q.path.endsWith('git-upload-pack')).length;
  t.deepEqual(await source.changedPaths(r.first, third), ['orgs/acme/teams/a.yaml', 'orgs/acme/teams/b.yaml']);
  t.deepEqual(await source.changedPaths(second, third), ['orgs/acme/teams/b.yaml']);
  t.true(r.server.requests.filter((q) => q.path.endsWith('git-upload-pack')).length > fetchesBefore);
  const pinned = createGitSource({ url: r.url, cacheDir: `${r.cacheDir}-pinned`, ref: second });
  t.deepEqual(await pinned.fetch(), { commit: second, changed: true });
  t.is(pinned.ref, second);
  t.teardown(() => rmSync(`${r.cacheDir}-pinned`, { recursive: true, force: true }));
});

test('a tag can be tracked, and the cache dir name carries no credentials', async (t) => {
  const r = await remote(t, { basic: { username: 'kradle', password: 'hunter2-pass' } });
  r.repo.tag('v1', { annotated: true });
  await runGitAsync(r.repo.dir, ['push', '-q', r.bare, 'v1']);
  await r.push({ 'orgs/acme/teams/later.yaml': doc('later') });
  const withCreds = r.url.replace('http://', 'http://kradle:hunter2-pass@');
  const source = createGitSource({ url: withCreds, cacheDir: r.cacheDir, ref: 'v1' });
  t.false(source.url.includes('hunter2'));
  t.deepEqual(await source.fetch(), { commit: r.first, changed: true });
  t.is(source.ref, 'v1');
  t.is(await source.resolve('v1'), r.first);
  const byDefault = createGitSource({ url: withCreds });
  t.false(byDefault.gitdir.includes('hunter2'));
  t.false(byDefault.gitdir.includes('kradle:'));
});

test('basic auth from options is answered when the server asks', async (t) => {
  const r = await remote(t, { basic: { username: 'kradle', password: 'hunter2-pass' } });
  const source = createGitSource({ url: r.url, cacheDir: r.cacheDir, auth: { username: 'kradle', password: 'hunter2-pass' } });
  t.is((await source.fetch()).commit, r.first);
  const wrong = createGitSource({ url: r.url, cacheDir: join(r.cacheDir, 'w'), auth: { username: 'kradle', password: 'wrong-pass' } });
  const err = await t.throwsAsync(wrong.fetch(), { instanceOf: UpstreamError });
  t.false(JSON.stringify({ m: err!.message, d: err!.details }).includes('wrong-pass'));
});

test('a bearer token is sent; a missing or wrong token is an UpstreamError without the token', async (t) => {
  const r = await remote(t, { token: 'tok-right-123' });
  const ok = createGitSource({ url: r.url, cacheDir: r.cacheDir, auth: { token: 'tok-right-123' } });
  t.is((await ok.fetch()).commit, r.first);
  t.true(readdirSync(join(r.cacheDir, 'objects', 'pack')).some((f) => f.endsWith('.pack')));

  const none = createGitSource({ url: r.url, cacheDir: join(r.cacheDir, 'n') });
  const noneErr = await t.throwsAsync(none.fetch(), { instanceOf: UpstreamError });
  t.regex(noneErr!.message, /401/);
  t.true(noneErr!.message.includes(r.url));

  const wrong = createGitSource({ url: r.url, cacheDir: join(r.cacheDir, 'w'), auth: { token: 'tok-wrong-456' } });
  const err = await t.throwsAsync(wrong.fetch(), { instanceOf: UpstreamError });
  t.regex(err!.message, /401/);
  t.false(JSON.stringify({ m: err!.message, d: err!.details, s: err!.stack }).includes('tok-wrong-456'));
});

test('an unreachable server is an UpstreamError naming the URL', async (t) => {
  const source = createGitSource({ url: 'http://127.0.0.1:9/none.git', cacheDir: join(tempDir(), 'c') });
  const err = await t.throwsAsync(source.fetch(), { instanceOf: UpstreamError });
  t.true(err!.message.includes('http://127.0.0.1:9/none.git'));
});
