// source/ owns reading the config repo: fetch, resolve revisions, list YAML blobs at a revision, changed paths, watch.
// It must not parse YAML or know about kinds (loader/ does), and it never writes to the repository (writeback/ does).
export type { ConfigSource, FetchResult, Snapshot, SnapshotFile } from './types.ts';
export { createGitSource, type GitSource, type GitSourceOptions } from './git-source.ts';
export type { RemoteAuth } from './remote-url.ts';
export { snapshotWorktree } from './worktree.ts';
export { createWorktreeWatcher, type WorktreeWatcher, type WorktreeWatcherOptions } from './worktree-watcher.ts';
export { gitBlobId } from './blob-id.ts';
export { convertToBare, importDirectoryAsBare } from './init-repo.ts';
export { isGitRepository } from './git-dir.ts';
export { createWorktreeSource } from './worktree-source.ts';
export { watchRefs, type RefWatcher } from './ref-watcher.ts';
export { refNameProblem } from './ref-format.ts';
