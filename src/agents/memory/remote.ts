import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConflictError, WaitingError } from '../../errors/index.ts';
import { createGitSource } from '../../source/index.ts';
import { cleanRemoteUrl, pushCommit, secretAuth, type SecretReader } from '../../writeback/index.ts';
import type { MemoryDeps, MemoryRepoRef } from './context.ts';

export type { SecretReader };

export interface MemoryRepoLocatorOptions {
  /** Where relative local paths resolve from. */
  baseDir: string;
  /** Where remote repositories are fetched to (one bare cache per repository). */
  cacheDir: string;
  secrets?: SecretReader;
}

const isRemote = (location: string) => /^https?:\/\//i.test(location);
const locationOf = (spec: Record<string, unknown>) => String(spec.url ?? spec.path ?? '');
const ownerOf = (repo: MemoryRepoRef) => ({ label: `AgentMemoryRepository ${repo.org}/${repo.name}`, org: repo.org });
const remoteUrl = (repo: MemoryRepoRef) => cleanRemoteUrl(ownerOf(repo), locationOf(repo.spec), 'spec.credentialRef');
const authOf = (repo: MemoryRepoRef, secrets: SecretReader | undefined) => secretAuth(ownerOf(repo), repo.spec.credentialRef ?? repo.spec.secretRef, secrets);

/**
 * Locates memory repositories: a local path is read and written in place; an http(s) URL is fetched
 * over smart HTTP into a cache (prepare) and its memory branches pushed back (publish). Credentials are
 * read from a Secret at each use and never written to Git, the store, logs or errors.
 */
export function createMemoryRepoLocator(opts: MemoryRepoLocatorOptions): Pick<MemoryDeps, 'repos' | 'prepare' | 'publish'> {
  const cacheOf = (repo: MemoryRepoRef, url: string) => {
    const hash = createHash('sha256').update(url).digest('hex').slice(0, 12);
    return resolve(opts.cacheDir, 'memory', repo.org, `${repo.name}-${hash}`);
  };
  return {
    repos(repo) {
      const location = locationOf(repo.spec);
      if (!location) throw new WaitingError(`AgentMemoryRepository ${repo.org}/${repo.name} has no spec.url`);
      if (isRemote(location)) return { gitdir: cacheOf(repo, remoteUrl(repo)) };
      return { gitdir: isAbsolute(location) ? location : resolve(opts.baseDir, location) };
    },
    async prepare(repo) {
      if (!isRemote(locationOf(repo.spec))) return;
      const url = remoteUrl(repo);
      const auth = await authOf(repo, opts.secrets);
      // A new source per call keeps a rotated credential effective at once; the cache directory persists.
      await createGitSource({ url, ref: repo.defaultBranch, cacheDir: repo.gitdir, auth }).fetch();
    },
    async publish(repo, branch, commit) {
      if (!isRemote(locationOf(repo.spec))) return;
      const url = remoteUrl(repo);
      const auth = await authOf(repo, opts.secrets);
      const outcome = await pushCommit({ fs, gitdir: repo.gitdir, cache: {} }, { url, auth }, commit, branch);
      if (outcome === 'rejected') throw new ConflictError(`branch ${branch} of ${url} moved on the remote; the memory update will be retried`);
    },
  };
}
