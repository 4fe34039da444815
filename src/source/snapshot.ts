import type { Snapshot } from './types.ts';
import { type GitContext, listBlobs, readBlobById, subtreeOid } from './objects.ts';
import { isYamlPath, normalizeDir } from './paths.ts';

/** Lists every YAML file below `dir` at a commit, paths from the repo root, by tree recursion. */
export async function snapshotCommit(ctx: GitContext, commit: string, dir: string): Promise<Snapshot> {
  const base = normalizeDir(dir);
  const tree = await subtreeOid(ctx, commit, base);
  const files = tree === undefined ? [] : await listBlobs(ctx, tree, base, isYamlPath);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { revision: commit, files, readBlob: (oid) => readBlobById(ctx, oid) };
}
