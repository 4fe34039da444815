import type { ConfigSource, FetchResult, Snapshot } from './types.ts';
import { snapshotWorktree } from './worktree.ts';
import { NotFoundError } from '../errors/index.ts';

/**
 * Dev mode: a working tree read as it is on disk, uncommitted edits included. Each fetch takes a fresh
 * snapshot whose revision is `worktree:<digest>`; older snapshots are forgotten.
 */
export function createWorktreeSource(dir: string, path?: string): ConfigSource {
  let last: Snapshot | undefined;
  return {
    url: dir,
    gitdir: '',
    ref: 'worktree',
    async fetch(): Promise<FetchResult> {
      const before = last?.revision;
      last = await snapshotWorktree(dir, path);
      return { commit: last.revision, changed: last.revision !== before };
    },
    async resolve(rev) {
      if (last && (rev === last.revision || rev === 'worktree')) return last.revision;
      throw new NotFoundError(`revision ${rev} is not the current working tree`);
    },
    async snapshot(commit) {
      if (!last || commit !== last.revision) throw new NotFoundError(`revision ${commit} is not the current working tree`);
      return last;
    },
    async changedPaths() {
      return [];
    },
  };
}
