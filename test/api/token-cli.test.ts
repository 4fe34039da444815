import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { command } from '../../src/cli/commands/token.ts';
import { createTokenService } from '../../src/api/index.ts';
import { createStore } from '../../src/store/index.ts';

/** Runs `kradle token ...` in-process, capturing stdout lines. */
async function kradleToken(args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = console.log;
  const err = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = () => undefined;
  try {
    return { code: await command.run(args), out };
  } finally {
    console.log = log;
    console.error = err;
  }
}

test('kradle token create prints the token once; list shows no secret; revoke disables it', async (t) => {
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
