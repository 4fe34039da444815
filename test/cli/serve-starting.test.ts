import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/git-repo.ts';
import { runKradle } from '../support/kradle-cli.ts';
import { orgDocs } from '../support/sync-harness.ts';

const BIN = fileURLToPath(new URL('../../bin/kradle.js', import.meta.url));

test('kradle serve answers /healthz while it starts, and /readyz names what it still waits for', async (t) => {
  // A "database" that accepts connections and never answers holds start-up at the store for as long as the test looks.
  const held: Socket[] = [];
  const blackHole = createServer((s) => held.push(s));
  await new Promise<void>((ok) => blackHole.listen(0, '127.0.0.1', ok));
  const dbPort = (blackHole.address() as { port: number }).port;
  const repo = tempDir('kradle-plain-');
  for (const [path, text] of Object.entries(orgDocs('acme'))) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  }
  const child = spawn(process.execPath, [BIN, 'serve', '--repo', repo, '--state-dir', tempDir('kradle-state-'), '--port', '0',
    '--database-url', `postgres://kradle@127.0.0.1:${dbPort}/kradle`], { env: { ...process.env, DATABASE_URL: '', KRADLE_SERVER: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    child.kill('SIGKILL');
    for (const s of held) s.destroy();
    blackHole.close();
  });
  // The URL comes from the log line written once the port is bound (JSON lines: stdout is not a terminal).
  const url = await new Promise<string>((found, fail) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = /"url":"(http:[^"]+)"[^\n]*listening/.exec(out);
      if (m) found(m[1]!);
    });
    child.once('close', (code) => fail(new Error(`kradle serve exited ${code}: ${out}`)));
  });

  const healthz = await fetch(`${url}/healthz`);
  t.is(healthz.status, 200);
  t.deepEqual(await healthz.json(), { ok: true, starting: true });

  // Before the server's modules load, /readyz names them first; then it waits for the store, which never answers.
  let readyz: { status: number; body: { ok: boolean; waitingFor: string; pending: string[] } };
  const seen = new Set<string>();
  for (;;) {
    const r = await fetch(`${url}/readyz`);
    readyz = { status: r.status, body: (await r.json()) as typeof readyz.body };
    seen.add(readyz.body.waitingFor);
    if (readyz.body.waitingFor === 'the store') break;
    t.is(readyz.status, 503);
    t.deepEqual(readyz.body.pending, ["the server's modules", 'the store', 'the config repo', 'the cluster driver and the sync controller']);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.is(readyz.status, 503);
  t.like(readyz.body, { ok: false, starting: true, waitingFor: 'the store' });
  t.deepEqual(readyz.body.pending, ['the store', 'the config repo', 'the cluster driver and the sync controller']);
  t.true([...seen].every((w) => w === "the server's modules" || w === 'the store'), [...seen].join(', '));

  const api = await fetch(`${url}/api/sync`);
  t.is(api.status, 503);
  t.is(api.headers.get('retry-after'), '1');
  t.deepEqual(await api.json(), { error: { code: 'STARTING', message: 'kradle is starting (waiting for the store)', details: [] } });
  t.is((await fetch(`${url}/healthz`)).status, 200);
});

test('kradle serve refuses a bad number flag with exit 2 before it binds a port or creates its state', async (t) => {
  const parent = tempDir('kradle-serve-flags-');
  const stateDir = join(parent, 'state');
  for (const flag of [['--sync-history', '0'], ['--sync-history', '2.5'], ['--poll-interval=-1'], ['--resync-interval', 'soon']]) {
    const ran = await runKradle(['serve', '--state-dir', stateDir, '--port', '0', ...flag], { env: { DATABASE_URL: '' } });
    t.is(ran.code, 2, `${flag.join(' ')}: ${ran.stderr}`);
    t.regex(ran.stderr, /^kradle serve: --(sync-history|poll-interval|resync-interval) must be /, flag.join(' '));
    t.false(existsSync(stateDir), `${flag.join(' ')} created the state directory`);
  }
});
