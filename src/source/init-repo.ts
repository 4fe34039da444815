import { promises as fs } from 'node:fs';
import { join, relative } from 'node:path';
import git from 'isomorphic-git';
import { readListed, SKIPPED_DIRS } from './worktree.ts';

type TreeEntry = { mode: string; path: string; oid: string; type: 'blob' | 'tree' };

/**
 * Writes the files below dir as blobs and trees, as `git add` would; returns the tree id, or undefined when
 * empty. It skips what reading the directory skips (.git, node_modules), and keeps a symbolic link as one (its
 * target as the blob): the loader then refuses it (SYMLINK_NOT_SUPPORTED) as kradle validate of the directory
 * does, where leaving it out would drop its documents, or a linked directory's, without a word.
 */
async function writeDirTree(gitdir: string, dir: string): Promise<string | undefined> {
  const entries: TreeEntry[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    if (SKIPPED_DIRS.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isSymbolicLink()) {
      const oid = await git.writeBlob({ fs, gitdir, blob: await readListed(dir, { path: entry.name, link: true }) });
      entries.push({ mode: '120000', path: entry.name, oid, type: 'blob' });
    } else if (entry.isDirectory()) {
      const oid = await writeDirTree(gitdir, full);
      if (oid) entries.push({ mode: '040000', path: entry.name, oid, type: 'tree' });
    } else if (entry.isFile()) {
      const oid = await git.writeBlob({ fs, gitdir, blob: await fs.readFile(full) });
      const exec = ((await fs.stat(full)).mode & 0o111) !== 0;
      entries.push({ mode: exec ? '100755' : '100644', path: entry.name, oid, type: 'blob' });
    }
  }
  return entries.length ? git.writeTree({ fs, gitdir, tree: entries }) : undefined;
}

/**
 * Imports a plain directory (e.g. fixtures/config-repo) into a new BARE repository with one commit on
 * `main`, so the embedded default is a Git remote operators clone and push to, and no working tree there
 * can fall behind the commits Kradle writes.
 */
export async function importDirectoryAsBare(from: string, gitdir: string, author = { name: 'Kradle', email: 'kradle@localhost' }): Promise<string> {
  await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
  const tree = (await writeDirTree(gitdir, from)) ?? (await git.writeTree({ fs, gitdir, tree: [] }));
  const who = { ...author, timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
  const message = `Import ${relative(process.cwd(), from) || from}\n`;
  const commit = await git.writeCommit({ fs, gitdir, commit: { message, tree, parent: [], author: who, committer: who } });
  await git.writeRef({ fs, gitdir, ref: 'refs/heads/main', value: commit, force: true });
  return commit;
}

/**
 * Turns the non-bare `.kradle/config-repo` of earlier versions into a bare repository at `gitdir`: its
 * history (every API write, and commits made in it) is kept; its working tree, which API writes never
 * updated, is not used again.
 */
export async function convertToBare(worktree: string, gitdir: string): Promise<void> {
  await fs.cp(join(worktree, '.git'), gitdir, { recursive: true });
  await fs.rm(join(gitdir, 'index'), { force: true });
  await git.setConfig({ fs, gitdir, path: 'core.bare', value: true });
}
