import test from 'ava';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { watchRefs } from '../../src/source/index.ts';
import { createBareClone, createTestRepo } from '../support/git-repo.ts';

/** A bare repository (its refs packed, as git clone --bare leaves them) and a clone that pushes into it. */
function setup(t: { teardown(fn: () => void): void }) {
  const work = createTestRepo();
  t.teardown(() => work.remove());
  work.commit({ 'orgs/acme/organization.yaml': 'kind: Organization\n' }, 'initial');
  work.git('branch', 'team/config');
  const bare = createBareClone(work.dir);
  t.teardown(() => rmSync(dirname(bare), { recursive: true, force: true }));
  work.git('remote', 'add', 'kradle', bare);
  let n = 0;
  const push = (branch: string) => {
    work.git('commit', '-q', '--allow-empty', '-m', `push ${++n}`);
    work.git('push', '-q', 'kradle', `HEAD:refs/heads/${branch}`);
  };
  return { bare, push };
}

/** Counts onChange calls; `next()` waits (`ms` at most) for one more than seen so far. */
function counter() {
  let calls = 0;
  let wake = () => {};
  return {
    onChange: () => (calls++, wake()),
    get calls() {
      return calls;
    },
    async next(seen: number, ms = 3000): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (calls <= seen && Date.now() < deadline) await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      return calls > seen;
    },
  };
}

test('every push to the watched branch is noticed, not only the first (each replaces the ref file by a rename)', async (t) => {
  const { bare, push } = setup(t);
  const c = counter();
  const w = watchRefs(bare, 'main', c.onChange, 5);
  t.teardown(() => w.close());
  for (let i = 0; i < 4; i++) {
    const seen = c.calls;
    push('main');
    t.true(await c.next(seen), `push ${i + 1} was not noticed`);
  }
});

test('a branch with slashes is watched in its subdirectory, which the first push creates', async (t) => {
  const { bare, push } = setup(t);
  const c = counter();
  const w = watchRefs(bare, 'team/config', c.onChange, 5);
  t.teardown(() => w.close());
  for (let i = 0; i < 3; i++) {
    const seen = c.calls;
    push('team/config');
    t.true(await c.next(seen), `push ${i + 1} was not noticed`);
  }
  // Another branch moves nothing that is synced.
  await new Promise((r) => setTimeout(r, 100));
  const seen = c.calls;
  push('other');
  t.false(await c.next(seen, 500));
});
