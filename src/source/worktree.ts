import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError } from '../errors/index.ts';
import { gitBlobId, worktreeRevision } from './blob-id.ts';
import { isYamlPath, joinPath, normalizeDir } from './paths.ts';
import type { Snapshot, SnapshotFile } from './types.ts';

const SKIPPED_DIRS = new Set(['.git', 'node_modules']);
const READ_BATCH = 64;

/** Relative paths of YAML files below `rel` (repo-relative), skipping .git/ and node_modules/. */
async function listYaml(root: string, rel: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(root, rel), { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
  const out: string[] = [];
  const subdirs: Promise<string[]>[] = [];
  for (const e of entries) {
    const path = joinPath(rel, e.name);
    if (e.isDirectory() && !SKIPPED_DIRS.has(e.name)) subdirs.push(listYaml(root, path));
    else if (e.isFile() && isYamlPath(e.name)) out.push(path);
  }
  for (const list of await Promise.all(subdirs)) out.push(...list);
  return out;
}

/**
 * Reads the YAML files below `path` of a working tree as they are on disk, uncommitted edits
 * included. Contents are held in the snapshot, so it stays consistent while files keep changing.
 */
export async function snapshotWorktree(dir: string, path?: string): Promise<Snapshot> {
  const base = normalizeDir(path);
  const paths = (await listYaml(dir, base)).sort();
  const blobs = new Map<string, Uint8Array>();
  const files: SnapshotFile[] = [];
  // Bounded batches: thousands of concurrent opens can exhaust file descriptors.
  for (let i = 0; i < paths.length; i += READ_BATCH) {
    const batch = paths.slice(i, i + READ_BATCH);
    const contents = await Promise.all(batch.map((p) => readFile(join(dir, p)).catch(() => undefined)));
    batch.forEach((p, j) => {
      const content = contents[j];
      if (content === undefined) return; // deleted between listing and reading
      const oid = gitBlobId(content);
      blobs.set(oid, content);
      files.push({ path: p, oid });
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
