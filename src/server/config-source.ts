import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConfigWriter, LocateFn } from '../writeback/index.ts';
import { createConfigWriter } from '../writeback/index.ts';
import type { Loader } from '../loader/index.ts';
import { createGitSource, createWorktreeSource, initRepoFromDirectory, isGitRepository, type RemoteAuth } from '../source/index.ts';
import type { ConfigSource } from '../source/types.ts';

export interface OpenedConfigRepo {
  source: ConfigSource;
  /** Absent in dev (worktree) mode: writes need a Git repository to commit to. */
  writer?: ConfigWriter;
  /** What was opened, for the start-up log. */
  description: string;
}

export interface ConfigRepoOptions {
  repo: string;
  ref?: string;
  path?: string;
  /** Dev mode: read the working tree as on disk (uncommitted edits included) instead of commits. */
  watch?: boolean;
  auth?: RemoteAuth;
  /** Where Kradle keeps its own files: remote fetch caches, and the Git copy of a plain directory. */
  stateDir: string;
  /** Validates a whole revision before a write-back commits it. */
  writeLoader: Loader;
  /** Where the desired state says a resource lives, so writes skip scanning the repo. */
  locate?: LocateFn;
}

const isRemote = (url: string) => /^https?:\/\//i.test(url);

/**
 * Opens the config repo named by --repo: a remote URL (fetched into the state dir), a local Git repository
 * (read and written in place), or a plain directory such as fixtures/config-repo, which is copied once into
 * a Git repository under the state dir so that syncs and write-backs have commits to work with.
 */
export async function openConfigRepo(opts: ConfigRepoOptions): Promise<OpenedConfigRepo> {
  const validate = async (snapshot: Parameters<Loader['load']>[0]) => {
    const result = await opts.writeLoader.load(snapshot);
    return result.ok ? [] : result.errors;
  };
  if (isRemote(opts.repo)) {
    const source = createGitSource({ url: opts.repo, ref: opts.ref, path: opts.path, auth: opts.auth, cacheDir: join(opts.stateDir, 'cache', 'config-repo') });
    // No fetch here: an unreachable remote at start-up is the sync loop's to retry and /readyz's to report,
    // as a source outage later would be, never a process that refuses to start.
    const writer = lazyRemoteWriter(source, (branch) =>
      createConfigWriter({ gitdir: source.gitdir, branch, remote: { url: opts.repo, auth: opts.auth }, validate, locate: opts.locate }));
    return { source, writer, description: `remote ${source.url} (${opts.ref ?? 'its default branch'})` };
  }
  const dir = resolve(opts.repo);
  if (!existsSync(dir)) throw new Error(`config repo ${opts.repo} does not exist`);
  if (opts.watch) {
    return { source: createWorktreeSource(dir, opts.path), description: `working tree ${opts.repo} (dev mode: reloads on save; writes disabled)` };
  }
  let gitDir = dir;
  let description = `local repository ${opts.repo}`;
  if (!(await isGitRepository(dir))) {
    gitDir = resolve(opts.stateDir, 'config-repo');
    if (!(await isGitRepository(gitDir))) await initRepoFromDirectory(dir, gitDir);
    description = `${opts.repo} (a plain directory, imported once into ${join(opts.stateDir, 'config-repo')}: edit it there, or pass a Git repository)`;
  }
  const source = createGitSource({ url: gitDir, ref: opts.ref, path: opts.path });
  const writer = createConfigWriter({ gitdir: source.gitdir, branch: source.ref, dir: opts.path, validate, locate: opts.locate });
  return { source, writer, description: `${description} (${source.ref})` };
}

/**
 * Without --ref the tracked branch is the remote's default branch, known only after a fetch: the writer is
 * made on the first write, after the fetch that names it (a write while the remote is down fails as a 502).
 */
function lazyRemoteWriter(source: ConfigSource, make: (branch: string) => ConfigWriter): ConfigWriter {
  let writer: ConfigWriter | undefined;
  const ready = async (): Promise<ConfigWriter> => {
    if (writer) return writer;
    if (source.ref === 'HEAD') await source.fetch();
    return (writer ??= make(source.ref));
  };
  return {
    write: async (req) => (await ready()).write(req),
    writeMany: async (req) => (await ready()).writeMany(req),
  };
}
