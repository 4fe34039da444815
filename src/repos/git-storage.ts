import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConflictError } from '../errors/index.ts';
import { locateGitDir, headBranchSync } from '../source/git-dir.ts';
import {
  cleanRemoteUrl, compareAndSwapRef, ensureRepo, fetchBranch, pushCommit, readRef, secretAuth,
  type GitContext, type RemoteTarget, type SecretReader,
} from '../writeback/index.ts';

/** A Repository config resource: its org, name and spec (spec.git names its storage). */
export interface RepoRef {
  org: string;
  name: string;
  spec: Record<string, unknown>;
}

/** One Repository's Git data on this machine: read branches, publish a branch move. */
export interface RepoGit {
  ctx: GitContext;
  /** The clean URL or `local`, for messages. */
  where: string;
  /** Brings the branch up to date (a remote: fetch) and returns the ref to read it by, or undefined when absent. */
  branchRef(branch: string): Promise<{ ref: string; oid: string } | undefined>;
  /** Moves the branch from `expected` to `next`; false when it moved meanwhile (the caller redoes its work). */
  publish(branch: string, expected: string, next: string): Promise<boolean>;
}

export interface RepoStorage {
  /** The Repository's Git data, or undefined when it names none (no spec.git). */
  open(repo: RepoRef): Promise<RepoGit | undefined>;
}

export interface RepoStorageOptions {
  /** Where relative local paths resolve from. */
  baseDir: string;
  /** Where remote repositories are fetched to (one bare cache per repository). */
  cacheDir: string;
  secrets?: SecretReader;
}

const isRemote = (location: string) => /^https?:\/\//i.test(location);

function gitSpec(repo: RepoRef): { url?: string; credentialRef?: unknown } {
  const g = repo.spec.git;
  return g && typeof g === 'object' ? (g as { url?: string; credentialRef?: unknown }) : {};
}

function localGit(repo: RepoRef, path: string): RepoGit {
  const { gitdir } = locateGitDir(path);
  const nonBare = resolve(gitdir) !== resolve(path);
  const ctx: GitContext = { fs, gitdir, cache: {} };
  return {
    ctx,
    where: 'local',
    async branchRef(branch) {
      const ref = `refs/heads/${branch}`;
      const oid = await readRef(fs, gitdir, ref);
      return oid ? { ref, oid } : undefined;
    },
    async publish(branch, expected, next) {
      // Moving a checked-out branch under a working tree would leave the tree showing the change undone.
      if (nonBare && headBranchSync(gitdir) === branch) {
        throw new ConflictError(`Repository ${repo.org}/${repo.name}: branch ${branch} is checked out in its working tree; merge into a bare repository or another branch`);
      }
      return compareAndSwapRef(fs, gitdir, `refs/heads/${branch}`, expected, next);
    },
  };
}

function remoteGit(ctx: GitContext, target: RemoteTarget): RepoGit {
  return {
    ctx,
    where: target.url,
    async branchRef(branch) {
      await ensureRepo(ctx, target);
      const oid = await fetchBranch(ctx, target, branch);
      return oid ? { ref: `refs/remotes/origin/${branch}`, oid } : undefined;
    },
    async publish(branch, _expected, next) {
      // The remote's receive-pack refuses a non-fast-forward update: that is the compare-and-swap.
      return (await pushCommit(ctx, target, next, branch)) === 'pushed';
    },
  };
}

/**
 * Locates a Repository's Git data from `spec.git.url`: a local path is read and written in place; an
 * http(s) URL is fetched over smart HTTP into a cache and pushed back, as the config repo is. Credentials
 * come from the Secret named by `spec.git.credentialRef` at each use and are never stored or shown.
 */
export function createRepoStorage(opts: RepoStorageOptions): RepoStorage {
  return {
    async open(repo) {
      const { url, credentialRef } = gitSpec(repo);
      if (!url) return undefined;
      if (!isRemote(url)) return localGit(repo, isAbsolute(url) ? url : resolve(opts.baseDir, url));
      const owner = { label: `Repository ${repo.org}/${repo.name}`, org: repo.org };
      const clean = cleanRemoteUrl(owner, url, 'spec.git.credentialRef');
      const auth = await secretAuth(owner, credentialRef, opts.secrets);
      const hash = createHash('sha256').update(clean).digest('hex').slice(0, 12);
      const gitdir = join(resolve(opts.cacheDir), 'repositories', repo.org, `${repo.name}-${hash}`);
      return remoteGit({ fs, gitdir, cache: {} }, { url: clean, auth });
    },
  };
}
