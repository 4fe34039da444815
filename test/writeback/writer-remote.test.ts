import test from 'ava';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConfigWriter, type ConfigWriterOptions } from '../../src/writeback/index.ts';
import { startGitHttpServer } from '../support/git-http-server.ts';
import { createBareClone, runGit, runGitAsync, tempDir } from '../support/git-repo.ts';
import { ACTOR, TEAM_FILE, createFixture, pool, simpleValidate, team } from './helpers.ts';

const BASIC = { username: 'kradle', password: 's3cret-pw' };

/** A config repo served over smart HTTP (basic auth) and a writer whose cache directory starts empty. */
async function setup(t: { teardown(fn: () => void | Promise<void>): void }, extra: Partial<ConfigWriterOptions> = {}) {
  const fx = createFixture();
  const root = tempDir('kradle-remote-');
  const served = createBareClone(fx.work.dir, join(root, 'config.git'));
  const server = await startGitHttpServer({ root, basic: BASIC });
  const cache = join(tempDir('kradle-cache-'), 'cache.git');
  t.teardown(async () => {
    await server.close();
    fx.remove();
    rmSync(root, { recursive: true, force: true });
    rmSync(join(cache, '..'), { recursive: true, force: true });
  });
  const url = `${server.url}/config.git`;
  const remote = { url, auth: BASIC };
  const writer = createConfigWriter({ gitdir: cache, branch: 'main', remote, validate: simpleValidate, ...extra });
  const git = (...args: string[]) => runGit(served, args);
  return { fx, served, url, writer, git, cache };
}

test('20 concurrent writes to different resources are 20 commits on the remote', async (t) => {
  const { writer, git } = await setup(t);
  const before = git('rev-parse', 'main');
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.write({ edit: { op: 'upsert', resource: team(`team-${i}`, `Team ${i}`) }, actor: ACTOR })));
  t.is(Number(git('rev-list', '--count', `${before}..main`)), 20);
  const onRemote = new Set(git('rev-list', `${before}..main`).split('\n'));
  for (const r of results) t.true(onRemote.has(r.commit));
  t.is(git('ls-tree', '-r', '--name-only', 'main', 'orgs/acme/teams').split('\n').length, 21);
  git('fsck', '--strict');
});

/** Commits and pushes from another clone, as another person would, with the git CLI. */
async function pushFromElsewhere(url: string, files: Record<string, string>, message: string): Promise<void> {
  const other = tempDir('kradle-other-');
  const authed = url.replace('http://', `http://${BASIC.username}:${BASIC.password}@`);
  try {
    await runGitAsync(other, ['clone', '-q', authed, 'w']);
    const w = join(other, 'w');
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(w, path, '..'), { recursive: true });
      writeFileSync(join(w, path), text);
    }
    await runGitAsync(w, ['add', '-A']);
    await runGitAsync(w, ['commit', '-q', '-m', message]);
    await runGitAsync(w, ['push', '-q', 'origin', 'main']);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
}

test("someone else's push between fetch and push is rebased over", async (t) => {
  const late = { url: '', pushed: false };
  const { writer, git, url } = await setup(t, {
    validate: async (snapshot) => {
      if (!late.pushed) {
        late.pushed = true;
        // After the writer fetched and before it pushes: its push is no longer a fast-forward.
        await pushFromElsewhere(late.url, { 'orgs/acme/teams/other.yaml': TEAM_FILE.replace('name: platform', 'name: other') }, 'someone else');
      }
      return simpleValidate(snapshot);
    },
  });
  late.url = url;
  const res = await writer.write({ edit: { op: 'upsert', resource: pool('small', 3, 4) }, actor: ACTOR });
  t.is(git('rev-parse', 'main'), res.commit);
  t.is(git('log', '-1', '--format=%s', 'main^'), 'someone else');
  t.true(git('show', 'main:orgs/acme/runnerpools.yaml').includes('warmReplicas: 3'));
  t.is(git('cat-file', '-t', 'main:orgs/acme/teams/other.yaml'), 'blob');
});

test('a stale If-Match is a 409 and an invalid write a 422: the remote does not move', async (t) => {
  const { writer, git, url } = await setup(t);
  const read = git('rev-parse', 'main');
  await pushFromElsewhere(url, { 'orgs/acme/teams/platform.yaml': TEAM_FILE.replace('displayName: Platform', 'displayName: Theirs') }, 'edit by someone else');
  const head = git('rev-parse', 'main');
  const stale = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('platform', 'Mine') }, actor: ACTOR, expectedRevision: read }));
  t.like(stale, { status: 409 });
  const invalid = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('platform', '') }, actor: ACTOR }));
  t.like(invalid, { status: 422 });
  t.is(git('rev-parse', 'main'), head);
  t.is(git('rev-list', '--all', '--count'), '2');
});

test('pull-request mode pushes kradle/write/<id> and leaves main alone on the remote', async (t) => {
  const { writer, git } = await setup(t);
  const head = git('rev-parse', 'main');
  const res = await writer.write({ edit: { op: 'upsert', resource: team('platform', 'Proposed') }, actor: ACTOR, mode: 'pull-request', id: 'abc' });
  t.is(res.branch, 'kradle/write/abc');
  t.is(git('rev-parse', 'main'), head);
  t.is(git('rev-parse', 'kradle/write/abc'), res.commit);
  t.is(git('rev-parse', 'kradle/write/abc^'), head);
});

test('credentials never appear in errors', async (t) => {
  const { url } = await setup(t);
  const wrong = { username: 'kradle', password: 'not-the-pw-123' };
  const inUrl = url.replace('http://', 'http://kradle:url-pw-456@');
  for (const remote of [{ url, auth: wrong }, { url: inUrl }]) {
    const cache = join(tempDir('kradle-cache-'), 'c.git');
    const writer = createConfigWriter({ gitdir: cache, branch: 'main', remote, validate: simpleValidate });
    const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('x', 'X') }, actor: ACTOR }));
    t.like(err, { status: 502 });
    t.false(JSON.stringify({ m: err!.message, s: err!.stack }).includes('pw-'), err!.message);
    rmSync(join(cache, '..'), { recursive: true, force: true });
  }
});
