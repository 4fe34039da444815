// A seeded random sequence of commits to a real Git repository: after each, the long-lived source's snapshot
// (which takes unchanged trees and files over from the snapshots before it) must list what a fresh source
// lists, and `changesSince` must name exactly the files that differ from each of the two snapshots before it.
// Reproduce a failure with KRADLE_TEST_SEED=<seed printed in the failure>.
import test from 'ava';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGitSource, type Snapshot, type SnapshotFile } from '../../src/source/index.ts';
import { createTestRepo } from '../support/git-repo.ts';
import { seededRandom, type SeededRandom } from '../support/seeded-random.ts';

const DIRS = ['orgs/acme', 'orgs/acme/teams', 'orgs/globex', 'orgs/globex/repos/deep', 'top'];
const NAMES = ['a.yaml', 'b.yml', 'c.yaml', 'notes.md', 'link', 'z.yaml'];

const key = (f: SnapshotFile) => `${f.path} ${f.oid}${f.symlink ? ' link' : ''}`;
const keys = (fs: readonly SnapshotFile[]) => fs.map(key).sort();

/** The files of `a` that `b` lacks (by path, blob and kind), both ways: what a change from `a` to `b` is. */
function expectedChanges(a: Snapshot, b: Snapshot): { added: string[]; removed: string[] } {
  const was = new Set(keys(a.files));
  const now = new Set(keys(b.files));
  return { added: [...now].filter((k) => !was.has(k)).sort(), removed: [...was].filter((k) => !now.has(k)).sort() };
}

/**
 * A path in `big/`, a directory of hundreds of entries (tens of kilobytes of tree object): a change there is
 * spliced into the earlier listing, at its start, middle or end, with subdirectories among the files.
 */
const bigPath = (r: SeededRandom) => (r.int(8) === 0 ? `big/sub${r.int(4)}/${r.pick(NAMES)}` : `big/f${String(r.int(400)).padStart(3, '0')}.${r.pick(['yaml', 'yml', 'md'])}`);

/** One change to the working tree: write, edit, delete, rename, copy, a symlink, or a whole directory gone. */
function change(r: SeededRandom, dir: string, present: Set<string>, n: number): void {
  const path = r.int(2) ? bigPath(r) : `${r.pick(DIRS)}/${r.pick(NAMES)}`;
  const some = () => r.pick([...present]);
  const put = (p: string, text: string) => {
    rmSync(join(dir, p), { force: true });
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    if (r.int(6) === 0) symlinkSync(`target-${n}`, join(dir, p));
    else writeFileSync(join(dir, p), text);
    present.add(p);
  };
  const op = present.size ? r.int(6) : 0;
  if (op <= 1) return put(path, `kind: Thing\nmetadata:\n  name: t${n}\n`);
  const victim = some();
  if (op === 2) return put(victim, `kind: Thing\nmetadata:\n  name: edited-${n}\n`);
  if (op === 3) return (rmSync(join(dir, victim), { force: true }), void present.delete(victim));
  if (op === 4) {
    // A rename or a copy: the same blob under another name.
    const to = `${r.pick(DIRS)}/${r.pick(NAMES)}`;
    if (to === victim) return;
    put(to, `kind: Thing\nmetadata:\n  name: same\n`);
    if (r.int(2)) put(victim, `kind: Thing\nmetadata:\n  name: same\n`);
    else (rmSync(join(dir, victim), { force: true }), present.delete(victim));
    return;
  }
  const gone = r.int(3) ? r.pick(DIRS) : `big/sub${r.int(4)}`;
  rmSync(join(dir, gone), { recursive: true, force: true });
  for (const p of [...present]) if (p.startsWith(`${gone}/`)) present.delete(p);
}

test('snapshots of a commit sequence list what a fresh source lists, and changesSince names every difference', async (t) => {
  const seed = Number(process.env.KRADLE_TEST_SEED ?? Math.floor(Math.random() * 1e9));
  t.log(`seed ${seed}`);
  const r = seededRandom(seed);
  const repo = createTestRepo();
  t.teardown(() => repo.remove());
  const start: Record<string, string> = { 'orgs/acme/a.yaml': 'kind: Thing\n' };
  for (let i = 0; i < 400; i += 2) start[`big/f${String(i).padStart(3, '0')}.yaml`] = `kind: Thing\nmetadata:\n  name: f${i}\n`;
  repo.commit(start, 'start');
  const source = createGitSource({ url: repo.dir });
  const present = new Set(Object.keys(start));
  const history: Snapshot[] = [];
  for (let n = 0; n < 40; n++) {
    for (let i = r.int(3) + 1; i > 0; i--) change(r, repo.dir, present, n);
    repo.git('add', '-A');
    repo.git('commit', '-q', '--allow-empty', '-m', `step ${n}`);
    const commit = repo.head();
    // Now and then an earlier commit again, as a diff preview alternates between two revisions.
    const rev = n > 2 && r.int(4) === 0 ? repo.git('rev-parse', `HEAD~${r.int(3) + 1}`) : commit;
    const snapshot = await source.snapshot(rev);
    const fresh = await createGitSource({ url: repo.dir }).snapshot(rev);
    t.deepEqual(keys(snapshot.files), keys(fresh.files), `seed ${seed}, step ${n}: the listing of ${rev.slice(0, 8)}`);
    for (const before of history.slice(-2)) {
      const got = snapshot.changesSince!(before);
      t.truthy(got, `seed ${seed}, step ${n}: two snapshots of one source compare`);
      t.deepEqual({ added: keys(got!.added), removed: keys(got!.removed) }, expectedChanges(before, snapshot), `seed ${seed}, step ${n}`);
    }
    history.push(snapshot);
  }
});
