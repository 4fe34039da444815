import { diffTrees } from './changed-paths.ts';
import { assertReadableFormat, headBranchSync, locateGitDir, worktreeHeadSync } from './git-dir.ts';
import { type GitContext, readBlobById, subtreeOid } from './objects.ts';
import { isYamlPath, normalizeDir } from './paths.ts';
import { resolveRev } from './resolve.ts';
import { snapshotCommit } from './snapshot.ts';
import type { RemoteAuth } from './remote-url.ts';
import type { ConfigSource, FetchResult, Snapshot } from './types.ts';

export interface GitSourceOptions {
  /** A filesystem path to a working or bare repository, or an http(s) URL. */
  url: string;
  /** Branch, tag or commit to track; default: the repository's HEAD branch. */
  ref?: string;
  /** Subdirectory whose YAML is loaded; default: the repository root. */
  path?: string;
  /** The isomorphic-git cache object; pass one to share parsed pack indexes with other readers. */
  cache?: object;
  /** Remote only: where fetched objects are kept; default `.kradle/cache/<host-path>-<hash>`. */
  cacheDir?: string;
  /** Remote only: a bearer token, or basic credentials answered when the server asks. */
  auth?: RemoteAuth;
}

/** A ConfigSource plus blob reads by id, for callers that keep their own file lists. */
export interface GitSource extends ConfigSource {
  /** The configured subdirectory ('' for the repo root). */
  readonly path: string;
  readBlob(oid: string): Promise<Uint8Array>;
}

/**
 * The reading half shared by local and remote sources: everything but fetch. `ensure` lets a
 * remote source fetch missing history before a commit is read.
 */
export function createReader(ctx: GitContext, path: string, ensure: (commit: string) => Promise<void> = async () => {}, head?: () => string) {
  return {
    path,
    resolve: (rev: string) => resolveRev(ctx, rev, head?.()),
    async snapshot(commit: string, dir?: string): Promise<Snapshot> {
      await ensure(commit);
      return snapshotCommit(ctx, commit, dir ?? path);
    },
    async changedPaths(fromCommit: string, toCommit: string, dir?: string): Promise<string[]> {
      await Promise.all([ensure(fromCommit), ensure(toCommit)]);
      const base = normalizeDir(dir ?? path);
      const [a, b] = await Promise.all([subtreeOid(ctx, fromCommit, base), subtreeOid(ctx, toCommit, base)]);
      const paths = await diffTrees(ctx, a, b, base);
      return paths.filter(isYamlPath).sort();
    },
    readBlob: (oid: string) => readBlobById(ctx, oid),
  };
}

/** A local repository, read in place through its git directory (isomorphic-git has no local transport). */
export function createLocalSource(opts: GitSourceOptions): GitSource {
  const { gitdir, worktreeDir } = locateGitDir(opts.url);
  assertReadableFormat(gitdir);
  const ctx: GitContext = { gitdir, cache: opts.cache ?? {} };
  // A linked worktree has a HEAD of its own; the one in the common git directory is another checkout's.
  const head = worktreeDir === undefined ? undefined : () => worktreeHeadSync(worktreeDir);
  const reader = createReader(ctx, normalizeDir(opts.path), undefined, head);
  const ref = opts.ref ?? head?.() ?? headBranchSync(ctx.gitdir);
  let last: string | undefined;
  return {
    ...reader,
    url: opts.url,
    gitdir: ctx.gitdir,
    ref,
    async fetch(): Promise<FetchResult> {
      const commit = await reader.resolve(ref);
      const changed = commit !== last;
      last = commit;
      return { commit, changed };
    },
  };
}
