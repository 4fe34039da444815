import test from 'ava';
import * as nodeFs from 'node:fs';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { createAtomicFs } from '../../src/writeback/atomic-fs.ts';
import type { WriterFs } from '../../src/writeback/types.ts';
import { runGit, tempDir } from '../support/git-repo.ts';

/** A disk that fills up part-way through the next object file it writes (or a process killed then). */
function failingMidWrite(): WriterFs {
  const p = nodeFs.promises;
  const writeFile = async (...args: Parameters<typeof p.writeFile>) => {
    const [file, data] = args;
    if (typeof file === 'string' && /objects[\\/][0-9a-f]{2}[\\/]/.test(file) && data instanceof Uint8Array) {
      await p.writeFile(file, data.subarray(0, data.length >> 1));
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    }
    return p.writeFile(...args);
  };
  return { ...nodeFs, promises: { ...p, writeFile } } as WriterFs;
}

const objectFiles = (gitdir: string) =>
  readdirSync(join(gitdir, 'objects'), { withFileTypes: true })
    .filter((d) => /^[0-9a-f]{2}$/.test(d.name))
    .flatMap((d) => readdirSync(join(gitdir, 'objects', d.name)).map((f) => `${d.name}/${f}`));

test('an object write that fails part-way leaves no object (and no temporary file) behind', async (t) => {
  const gitdir = tempDir('kradle-atomic-');
  t.teardown(() => rmSync(gitdir, { recursive: true, force: true }));
  await git.init({ fs: nodeFs, dir: gitdir, gitdir, bare: true });
  const blob = new TextEncoder().encode('kind: Team\n'.repeat(1000));
  await t.throwsAsync(git.writeBlob({ fs: createAtomicFs(failingMidWrite()), gitdir, blob }), { message: /ENOSPC/ });
  t.deepEqual(objectFiles(gitdir), [], 'a truncated object would fail every later read of it');
  // The retry writes the whole object: the one git never rewrites once it exists.
  const oid = await git.writeBlob({ fs: createAtomicFs(), gitdir, blob });
  t.deepEqual(objectFiles(gitdir), [`${oid.slice(0, 2)}/${oid.slice(2)}`]);
  t.deepEqual((await git.readBlob({ fs: nodeFs, gitdir, oid })).blob, blob);
});

test('without it, the same failure leaves a truncated object that later writes keep', async (t) => {
  const gitdir = tempDir('kradle-atomic-');
  t.teardown(() => rmSync(gitdir, { recursive: true, force: true }));
  await git.init({ fs: nodeFs, dir: gitdir, gitdir, bare: true });
  const blob = new TextEncoder().encode('kind: Team\n'.repeat(1000));
  await t.throwsAsync(git.writeBlob({ fs: failingMidWrite(), gitdir, blob }));
  const oid = await git.writeBlob({ fs: nodeFs, gitdir, blob });
  await t.throwsAsync(git.readBlob({ fs: nodeFs, gitdir, oid }), undefined, 'the reason the writers use the atomic fs');
});

/** An operator's `git gc` that runs just after isomorphic-git made the object's (empty) directory, before the file is written. */
function gcBeforeObjectWrite(gitdir: string): WriterFs {
  const p = nodeFs.promises;
  let ran = false;
  const writeFile = async (...args: Parameters<typeof p.writeFile>) => {
    if (!ran && typeof args[0] === 'string' && /objects[\\/][0-9a-f]{2}[\\/]/.test(args[0]) && nodeFs.existsSync(dirname(args[0]))) {
      ran = true;
      runGit(gitdir, ['gc', '-q']);
    }
    return p.writeFile(...args);
  };
  return { ...nodeFs, promises: { ...p, writeFile } } as WriterFs;
}

test('a git gc that removes the new object\'s empty directory mid-write does not fail the write', async (t) => {
  const gitdir = tempDir('kradle-atomic-');
  t.teardown(() => rmSync(gitdir, { recursive: true, force: true }));
  await git.init({ fs: nodeFs, dir: gitdir, gitdir, bare: true });
  const blob = new TextEncoder().encode('kind: Team\n');
  const oid = await git.writeBlob({ fs: createAtomicFs(gcBeforeObjectWrite(gitdir)), gitdir, blob });
  t.deepEqual(objectFiles(gitdir), [`${oid.slice(0, 2)}/${oid.slice(2)}`]);
  t.deepEqual((await git.readBlob({ fs: nodeFs, gitdir, oid })).blob, blob);
  runGit(gitdir, ['fsck', '--strict']);
});
