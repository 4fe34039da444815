import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { command } from '../../src/cli/commands/token.ts';
import { createTokenService } from '../../src/api/index.ts';
import { createStore } from '../../src/store/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { orgDocs } from '../support/sync-harness.ts';

/** Runs `kradle token ...` in-process, capturing stdout and stderr lines (it swaps console: tests here run serially). */
async function kradleToken(args: string[]): Promise<{ code: number; out: string[]; errors: string[] }> {
  const out: string[] = [];
  const errors: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void errors.push(a.join(' '));
  try {
    return { code: await command.run(args), out, errors };
  } finally {
    console.log = log;
    console.error = err;
  }
}

test.serial('kradle token create prints the token once; list shows no secret; revoke disables it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kradle-token-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const store = ['--data-dir', dir];
  const created = await kradleToken(['create', '--org', 'acme', '--role', 'writer', '--subject', 'ci-bot', ...store]);
  t.is(created.code, 0);
  const token = created.out[0]!;
  t.regex(token, /^krd_[0-9a-f]{16}_/);
  const listed = await kradleToken(['list', '--format', 'json', ...store]);
  const [info] = JSON.parse(listed.out.join('\n'));
  t.like(info, { org: 'acme', role: 'writer', subject: 'ci-bot', revoked: false });
  t.false(listed.out.join('\n').includes(token));
  t.is((await kradleToken(['create', '--org', 'acme', '--role', 'owner', ...store])).code, 2);
  t.is((await kradleToken(['revoke', info.id, ...store])).code, 0);
  const s = createStore({ dataDir: dir });
  try {
    const svc = createTokenService(s);
    t.is(await svc.verify(token), undefined);
    t.true((await svc.list()).every((i) => i.revoked));
  } finally {
    await s.close();
  }
});

test.serial('without a server, --repo names the config repo: a token for an org it does not declare is refused as the API refuses it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kradle-token-'));
  const repo = createTestRepo();
  repo.commit(orgDocs('acme'), 'add acme');
  t.teardown(async () => {
    repo.remove();
    await rm(dir, { recursive: true, force: true });
  });
  const store = ['--data-dir', join(dir, 'data'), '--repo', repo.dir];
  const ghost = await kradleToken(['create', '--org', 'ghost', '--role', 'reader', ...store]);
  t.is(ghost.code, 1);
  t.deepEqual(ghost.out, [], 'no token printed');
  t.regex(ghost.errors.join('\n'), /^kradle token create: organization ghost not found: the config repo .* \([0-9a-f]{12}\) declares acme$/);
  const json = await kradleToken(['create', '--org', 'ghost', '--role', 'reader', '--format', 'json', ...store]);
  t.is(json.code, 1);
  t.is(JSON.parse(json.out.join('\n')).error.code, 'NOT_FOUND');

  t.is((await kradleToken(['create', '--org', 'acme', '--role', 'reader', ...store])).code, 0);
  t.is((await kradleToken(['create', '--org', '*', '--role', 'admin', ...store])).code, 0, 'a platform token names no org');
  const listed = JSON.parse((await kradleToken(['list', '--format', 'json', '--data-dir', join(dir, 'data')])).out.join('\n'));
  t.deepEqual(listed.map((i: { org: string }) => i.org).sort(), ['*', 'acme']);
});
