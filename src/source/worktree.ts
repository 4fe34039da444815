import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors/index.ts';
import { gitBlobId, worktreeRevision } from './blob-id.ts';
import { locateGitDir } from './git-dir.ts';
import { readGitIndex } from './git-index.ts';
import { withoutIgnored, type WorktreeGit } from './ignored.ts';
import { isReportedLink, isYamlPath, joinPath, normalizeDir } from './paths.ts';
import type { Snapshot, SnapshotFile } from './types.ts';

/** Never files of the config repo, whatever they are: a directory read as it is on disk, and its import, skip them. */
export const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const READ_BATCH = 64;

export interface Listed {
  path: string;
  link: boolean;
}

/** The git directory and index of the working tree at `root`; undefined for a plain directory (or an unreadable .git). */
export function worktreeGit(root: string): WorktreeGit | undefined {
  if (!existsSync(join(root, '.git'))) return undefined;
  try {
    const { gitdir, worktreeDir } = locateGitDir(root);
    // A linked worktree has its own index in its own git directory.
    const indexFile = join(worktreeDir ?? gitdir, 'index');
    return { gitdir, indexFile, index: readGitIndex(indexFile) };
  } catch {
    return undefined;
  }
}

/**
 * YAML files below `rel` (repo-relative paths), skipping .git/ and node_modules/. In a Git working tree, a
 * directory holding a `.git` of its own is another repository (a submodule, a clone inside): its files are not
 * this repository's, which records a submodule as one commit id and loads nothing of it, so they are skipped.
 * There, too, an untracked file git ignores is no file of the config repo. A plain directory keeps them all, as
 * its import copies them.
 */
export async function listYaml(root: string, rel: string, git = worktreeGit(root)): Promise<Listed[]> {
  const listed = await walk(root, rel, existsSync(join(root, '.git')));
  return git ? withoutIgnored(root, git, listed) : listed;
}

async function walk(root: string, rel: string, skipRepos: boolean): Promise<Listed[]> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
  if (skipRepos && rel !== '' && entries.some((e) => e.name === '.git')) return [];
  const out: Listed[] = [];
  const subdirs: Promise<Listed[]>[] = [];
  for (const e of entries) {
    // Whatever they are: node_modules is often a symbolic link (a shared install, a linked worktree's), which
    // is no document of the config repo to refuse (SYMLINK_NOT_SUPPORTED) or to call uncommitted.
    if (SKIPPED_DIRS.has(e.name)) continue;
    const path = joinPath(rel, e.name);
    if (e.isDirectory()) subdirs.push(walk(root, path, skipRepos));
    else if (e.isSymbolicLink() ? isReportedLink(e.name) : e.isFile() && isYamlPath(e.name)) out.push({ path, link: e.isSymbolicLink() });
  }
  for (const list of await Promise.all(subdirs)) out.push(...list);
  return out;
}

/** A listed file's content as Git stores it: a link's blob is its target path (the loader refuses it like a committed one). */
export async function readListed(dir: string, { path, link }: Listed): Promise<Buffer> {
  return link ? Buffer.from(await readlink(join(dir, path))) : readFile(join(dir, path));
}

/**
 * Reads the YAML files below `path` of a working tree as they are on disk, uncommitted edits
 * included. Contents are held in the snapshot, so it stays consistent while files keep changing.
 */
export async function snapshotWorktree(dir: string, path?: string): Promise<Snapshot> {
  const base = normalizeDir(path);
  const listed = (await listYaml(dir, base)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const blobs = new Map<string, Uint8Array>();
  const files: SnapshotFile[] = [];
  const read = (l: Listed) => readListed(dir, l);
  // Bounded batches: thousands of concurrent opens can exhaust file descriptors.
  for (let i = 0; i < listed.length; i += READ_BATCH) {
    const batch = listed.slice(i, i + READ_BATCH);
    const contents = await Promise.all(batch.map((p) => read(p).catch(() => undefined)));
    batch.forEach(({ path, link }, j) => {
      const content = contents[j];
      if (content === undefined) return; // deleted between listing and reading
      const oid = gitBlobId(content);
      blobs.set(oid, content);
      files.push(link ? { path, oid, symlink: true } : { path, oid });
    });
  }
  return {
    revision: worktreeRevision(files),
    files,
    async readBlob(oid) {
      const blob = blobs.get(oid);
      if (!blob) throw new NotFoundError(`blob ${oid} is not in this working-tree snapshot`);
      return blob;
    },
  };
}
