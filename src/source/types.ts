import type { SharedObjects } from './shared-objects.ts';

/** A file of the config repo at a revision: its path from the repo root and its Git blob id. */
export interface SnapshotFile {
  path: string;
  oid: string;
  /** A symbolic link (Git mode 120000): its blob holds the target path, not a document. */
  symlink?: boolean;
}

/**
 * What the loader reads: every file under the configured path at one revision.
 * For a commit the revision is the commit id; for a working tree (dev mode) it is
 * `worktree:<digest of the file list>`. Blob ids are Git blob ids in both cases, so
 * parse caches keyed by blob id are shared between commits and working trees.
 */
export interface Snapshot {
  revision: string;
  files: readonly SnapshotFile[];
  readBlob(oid: string): Promise<Uint8Array>;
  /**
   * A blob read without waiting, or undefined when it cannot be (then the caller keeps the bytes it has). The
   * bytes must not be written to. A loader reads a file again this way when an error needs its positions,
   * instead of keeping every file's bytes; it keeps the function, so the function must not hold the snapshot.
   */
  readBlobSync?: (oid: string) => Uint8Array | undefined;
  /**
   * Where worker threads may read this snapshot's blobs themselves (openSharedObjects), so a cold load does not
   * inflate every blob on the main thread; a blob they cannot read there is read with readBlob.
   */
  readonly sharedObjects?: SharedObjects;
  /**
   * The files added or changed (`added`, as in this snapshot) and removed or changed (`removed`, as in
   * `previous`) since an earlier snapshot of the same source and path, found without listing every file;
   * undefined when the two cannot be compared that way.
   */
  changesSince?(previous: Snapshot): SnapshotChanges | undefined;
}

export interface SnapshotChanges {
  added: SnapshotFile[];
  removed: SnapshotFile[];
}

export interface FetchResult {
  /** The commit the tracked ref points to after the fetch. */
  commit: string;
  /** True when the commit differs from the one before the fetch. */
  changed: boolean;
}

/** A config repo, local (its git directory read in place) or remote (fetched into a cache directory). */
export interface ConfigSource {
  readonly url: string;
  /** The git directory the source reads and writes. */
  readonly gitdir: string;
  /** The tracked branch (or tag/commit when pinned). */
  readonly ref: string;
  /** Brings the remote's objects in (a no-op for a local repository) and resolves the tracked ref. */
  fetch(): Promise<FetchResult>;
  /** Resolves a branch, tag, short or full commit id to a full commit id. */
  resolve(rev: string): Promise<string>;
  /** Every YAML file below `dir` (default: the source's configured path) at a commit. */
  snapshot(commit: string, dir?: string): Promise<Snapshot>;
  /** Paths whose blobs differ between two commits, found by comparing tree ids. */
  changedPaths(fromCommit: string, toCommit: string, dir?: string): Promise<string[]>;
}
