// A `<ref>.lock` left behind by a writer that died must not block every later write forever.
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { isKradleError } from '../../src/errors/index.ts';
import { createConfigWriter } from '../../src/writeback/index.ts';
import { ACTOR, createFixture, simpleValidate, team } from './helpers.ts';

function setup(t: { teardown(fn: () => void): void }) {
  const fx = createFixture();
  t.teardown(() => fx.remove());
  return { fx, writer: createConfigWriter({ gitdir: fx.gitdir, branch: 'main', validate: simpleValidate }) };
}

test('a ref lock older than any write is cleared and the write goes through', async (t) => {
  const { fx, writer } = setup(t);
  const lock = join(fx.gitdir, 'refs/heads/main.lock');
  writeFileSync(lock, 'left by a writer killed with SIGKILL\n');
  const old = new Date(Date.now() - 5 * 60_000);
  utimesSync(lock, old, old);
  const res = await writer.write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR });
  t.true(res.changed);
  t.is(fx.git('rev-parse', 'main'), res.commit);
  t.false(existsSync(lock));
  fx.git('fsck', '--strict');
});

test('a fresh ref lock held by a live writer is a 503 to retry, naming the lock, and moves nothing', async (t) => {
  const { fx, writer } = setup(t);
  const head = fx.git('rev-parse', 'main');
  const lock = join(fx.gitdir, 'refs/heads/main.lock');
  writeFileSync(lock, 'held by git update-ref right now\n');
  const err = await t.throwsAsync(writer.write({ edit: { op: 'upsert', resource: team('data', 'Data') }, actor: ACTOR }));
  t.true(isKradleError(err));
  if (!isKradleError(err)) return;
  t.is(err.status, 503);
  t.truthy(err.retryAfterSeconds);
  t.regex(err.message, /refs\/heads\/main\.lock/);
  t.true(existsSync(lock), 'a live lock is never taken away');
  t.is(fx.git('rev-parse', 'main'), head);
});
