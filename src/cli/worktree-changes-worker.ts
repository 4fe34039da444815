// Compares a working tree with a commit (source/worktree-changes.ts) on a thread of its own: `kradle validate`
// does it beside a load whose main thread is the busiest, and the stat calls of a large tree cost it ~0.3 s.
// Started from a bundle of this file (worktree-changes.ts in this directory, and scripts/build.mjs), so it imports only what it uses.
import { parentPort, workerData } from 'node:worker_threads';
import type { SnapshotFile } from '../source/types.ts';
import { changedFromCommit } from '../source/worktree-changes.ts';

export interface WorktreeChangesRequest {
  dir: string;
  path: string | undefined;
  /** The commit's files as path and blob id: all the comparison reads of them. */
  committed: SnapshotFile[];
}

const req = workerData as WorktreeChangesRequest;
changedFromCommit(req.dir, req.path, req.committed).then(
  (changed) => parentPort!.postMessage({ changed }),
  (err: unknown) => parentPort!.postMessage({ error: err instanceof Error ? err.message : String(err) }),
);
