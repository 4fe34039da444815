import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/git-repo.ts';
import { KRADLE_BIN, runKradle } from '../support/kradle-cli.ts';
import { orgDocs } from '../support/sync-harness.ts';


const kradle = (args: string[], env: Record<string, string> = {}) => runKradle(args, { env: { DATABASE_URL: '', ...env } });

let server: ChildProcess;
let stateDir: string;
let url: string;
let adminToken: string;

test.before(async () => {
  const repo = tempDir('kradle-plain-');
  for (const [path, text] of Object.entries(orgDocs('acme'))) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  stateDir = tempDir('kradle-state-');
  server = spawn(process.execPath, [KRADLE_BIN, 'serve', '--repo', repo, '--state-dir', stateDir, '--port', '0', '--poll-interval', '3600'], {
    env: { ...process.env, DATABASE_URL: '' }, stdio: 'ignore',
  });
  // The lock file names the server's URL once it listens; the admin token file follows the first start.
  const lock = join(stateDir, 'kradle.lock');
  for (let i = 0; i < 2400 && !(existsSync(lock) && JSON.parse(readFileSync(lock, 'utf8')).url && existsSync(join(stateDir, 'admin-token'))); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  url = JSON.parse(readFileSync(lock, 'utf8')).url;
  adminToken = readFileSync(join(stateDir, 'admin-token'), 'utf8').trim();
});

test.after.always(() => {
  server?.kill('SIGTERM');
});

test.serial('kradle token create on the data directory of a running server fails at once, naming it, and prints no token', async (t) => {
  const ran = await kradle(['token', 'create', '--org', 'acme', '--role', 'reader', '--data-dir', join(stateDir, 'data')]);
  t.is(ran.code, 2);
  t.is(ran.stdout, '');
  t.true(ran.stderr.includes(`in use by process ${server.pid}`), ran.stderr);
  t.true(ran.stderr.includes('KRADLE_SERVER'), ran.stderr);
});

test.serial('a second kradle serve on the same state directory exits non-zero, naming the first', async (t) => {
  const ran = await kradle(['serve', '--state-dir', stateDir, '--port', '0']);
  t.is(ran.code, 2);
  t.true(ran.stderr.includes(`in use by process ${server.pid}`), ran.stderr);
  t.true(ran.stderr.includes(url), ran.stderr);
});

test.serial('with KRADLE_SERVER set, kradle token creates, lists and revokes through the server; the token authenticates', async (t) => {
  const env = { KRADLE_SERVER: url, KRADLE_TOKEN: adminToken };
  const made = await kradle(['token', 'create', '--org', 'acme', '--role', 'reader', '--subject', 'dash', '--ttl', '1h'], env);
  t.is(made.code, 0, made.stderr);
  const token = made.stdout.trim();
  t.regex(token, /^krd_/);
  t.regex(made.stderr, /expires \d{4}-/);
  const res = await fetch(`${url}/api/orgs/acme/summary`, { headers: { authorization: `Bearer ${token}` } });
  t.is(res.status, 200);

  const listed = await kradle(['token', 'list', '--org', 'acme', '--format', 'json'], env);
  t.is(listed.code, 0, listed.stderr);
  const entry = (JSON.parse(listed.stdout) as any[]).find((i) => i.subject === 'dash');
  t.truthy(entry?.expiresAt);
  t.false(listed.stdout.includes(token));

  t.is((await kradle(['token', 'revoke', entry.id], env)).code, 0);
  t.is((await fetch(`${url}/api/orgs/acme/summary`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  const bad = await kradle(['token', 'create', '--org', 'acme', '--role', 'reader', '--ttl', 'soon'], env);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /ttl/);
});

test.serial('kradle serve refuses a missing repo path, an unwritable state directory and a port in use before creating any database', async (t) => {
  const state = tempDir('kradle-state-');
  const missing = await kradle(['serve', '--repo', join(state, 'no-such-repo'), '--state-dir', join(state, 's'), '--port', '0']);
  t.is(missing.code, 2);
  t.regex(missing.stderr, /--repo \S+no-such-repo does not exist/);
  t.false(existsSync(join(state, 's', 'data')));

  const file = join(state, 'a-file');
  writeFileSync(file, '');
  const unwritable = await kradle(['serve', '--state-dir', join(file, 'under-a-file'), '--port', '0']);
  t.is(unwritable.code, 2);
  t.regex(unwritable.stderr, /--state-dir \S+ is not a writable directory/);

  const port = Number(new URL(url).port);
  const busy = await kradle(['serve', '--state-dir', join(state, 'busy'), '--port', String(port)]);
  t.is(busy.code, 2);
  t.regex(busy.stderr, new RegExp(`port ${port} on 127.0.0.1 is in use`));
  t.false(existsSync(join(state, 'busy', 'data', 'PG_VERSION')));
});
