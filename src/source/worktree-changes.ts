import { lstatSync } from 'node:fs';
import { gitBlobId } from './blob-id.ts';
import { statMatches, type GitIndex } from './git-index.ts';
import { normalizeDir } from './paths.ts';
import type { SnapshotFile } from './types.ts';
import { listYaml, readListed, worktreeGit, type Listed } from './worktree.ts';

const STAT_BATCH = 512;
const READ_BATCH = 64;

/**
 * The YAML files below `path` of the working tree at `dir` whose content differs from `committed` (edited,
 * added or deleted), sorted. As `git status` does, a file whose stat matches its index entry is taken to hold
 * the entry's blob; only the others (changed, untracked, racily clean) are read and hashed, and all of them
 * when the index is missing or unreadable.
 */
export async function changedFromCommit(dir: string, path: string | undefined, committed: readonly SnapshotFile[]): Promise<string[]> {
  const git = worktreeGit(dir);
  const listed = await listYaml(dir, normalizeDir(path), git);
  const index = git?.index;
  const atCommit = new Map(committed.map((f) => [f.path, f.oid]));
  const changed: string[] = [];
  const unknown: Listed[] = [];
  const gone = new Set<string>();
  for (let i = 0; i < listed.length; i += STAT_BATCH) {
    // Synchronous stats in batches: cheaper than a promise each, and the event loop (a load's workers) still runs.
    if (i > 0) await new Promise((r) => setImmediate(r));
    for (const l of listed.slice(i, i + STAT_BATCH)) {
      const oid = index && indexedOid(dir, l, index);
      if (oid === undefined) unknown.push(l);
      else if (atCommit.get(l.path) !== oid) changed.push(l.path);
    }
  }
  for (let i = 0; i < unknown.length; i += READ_BATCH) {
    const batch = unknown.slice(i, i + READ_BATCH);
    const contents = await Promise.all(batch.map((l) => readListed(dir, l).catch(() => undefined)));
    batch.forEach((l, j) => {
      const content = contents[j];
      // Deleted between listing and reading: the loop below reports it if the commit has it.
      if (content === undefined) gone.add(l.path);
      else if (atCommit.get(l.path) !== gitBlobId(content)) changed.push(l.path);
    });
  }
  const onDisk = new Set(listed.flatMap((l) => (gone.has(l.path) ? [] : [l.path])));
  // A file a sparse checkout leaves off the disk is not deleted: git status says nothing of it.
  for (const f of committed) if (!onDisk.has(f.path) && !index?.skipWorktree.has(f.path)) changed.push(f.path);
  return changed.sort();
}

/** The blob the index says the file holds, when its stat says it still does. */
function indexedOid(dir: string, l: Listed, index: GitIndex): string | undefined {
  const e = index.entries.get(l.path);
  if (!e) return undefined;
  // Concatenated, not join()ed: dir is absolute and l.path a clean relative path, and this runs per file.
  const st = lstatSync(`${dir}/${l.path}`, { throwIfNoEntry: false });
  return st && statMatches(e, st, index.writtenMs) ? e.oid : undefined;
}
