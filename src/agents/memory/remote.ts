import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BadRequestError, ConflictError, WaitingError } from '../../errors/index.ts';
import { createGitSource, type RemoteAuth } from '../../source/index.ts';
import { pushCommit } from '../../writeback/index.ts';
import { refName } from '../refs.ts';
import type { MemoryDeps, MemoryRepoRef } from './context.ts';

/** Reads one key of a Secret in the org's tenant namespace (the cluster driver, or a test reader). */
export type SecretReader = (org: string, name: string, key: string) => Promise<string | undefined>;

export interface MemoryRepoLocatorOptions {
  /** Where relative local paths resolve from. */
  baseDir: string;
  /** Where remote repositories are fetched to (one bare cache per repository). */
  cacheDir: string;
  secrets?: SecretReader;
}

const isRemote = (location: string) => /^https?:\/\//i.test(location);
const locationOf = (spec: Record<string, unknown>) => String(spec.url ?? spec.path ?? '');

/** The clean URL of a remote memory repository; credentials in the URL are refused (they belong in a Secret). */
function remoteUrl(repo: MemoryRepoRef): string {
  const url = new URL(locationOf(repo.spec));
  if (url.username || url.password) throw new BadRequestError(`AgentMemoryRepository ${repo.org}/${repo.name}: put credentials in a Secret named by spec.credentialRef, not in the URL`);
  return url.toString().replace(/\/$/, '');
}

async function authOf(repo: MemoryRepoRef, secrets: SecretReader | undefined): Promise<RemoteAuth | undefined> {
  const ref = repo.spec.credentialRef ?? repo.spec.secretRef;
  const name = refName(ref);
  if (!name) return undefined;
  if (!secrets) throw new WaitingError(`AgentMemoryRepository ${repo.org}/${repo.name}: no secret reader is configured to read Secret ${name}`);
  const key = (ref as { key?: unknown }).key;
  const token = await secrets(repo.org, name, typeof key === 'string' ? key : 'token');
  if (token) return { token };
  const [username, password] = await Promise.all([secrets(repo.org, name, 'username'), secrets(repo.org, name, 'password')]);
  if (username && password) return { username, password };
  throw new WaitingError(`AgentMemoryRepository ${repo.org}/${repo.name}: Secret ${name} has no ${typeof key === 'string' ? key : 'token'} key (nor username and password)`);
}

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
