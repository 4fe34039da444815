import { existsSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ConfigWriter, LocateFn } from '../writeback/index.ts';
import { createConfigWriter } from '../writeback/index.ts';
import type { Loader } from '../loader/index.ts';
import { convertToBare, createGitSource, createWorktreeSource, importDirectoryAsBare, isGitRepository, watchRefs, type RefWatcher, type RemoteAuth } from '../source/index.ts';
import type { ConfigSource } from '../source/types.ts';

export interface OpenedConfigRepo {
  source: ConfigSource;
  /** Absent in dev (worktree) mode: writes need a Git repository to commit to. */
  writer?: ConfigWriter;
  /** What was opened, for the start-up log. */
  description: string;
  /** For an imported plain directory: the command that clones the bare repository Kradle serves from. */
  cloneCommand?: string;
  /** A local repository: calls back soon after its refs move (a push, a commit), ahead of the poll. */
  watchRefs?(onChange: () => void): RefWatcher;
  /** What happened to a state directory of an earlier version, for the start-up log. */
  migrated?: string;
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
    // Errors and warnings are all a write needs: check builds no desired state.
    const result = await opts.writeLoader.check(snapshot);
    return { errors: result.ok ? [] : result.errors, warnings: result.warnings };
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
  let imported: Pick<OpenedConfigRepo, 'cloneCommand' | 'migrated'> = {};
  if (!(await isGitRepository(dir))) {
    gitDir = resolve(opts.stateDir, 'config-repo.git');
    imported = await importOnce(dir, gitDir);
  }
  const source = createGitSource({ url: gitDir, ref: opts.ref, path: opts.path });
  const writer = createConfigWriter({ gitdir: source.gitdir, branch: source.ref, dir: opts.path, validate, locate: opts.locate });
  const description = imported.cloneCommand
    ? `${opts.repo} (a plain directory, imported once into the bare repository ${gitDir}: clone it, commit and push there)`
    : `local repository ${opts.repo}`;
  return { source, writer, ...imported, description: `${description} (${source.ref})`, watchRefs: (onChange) => watchRefs(source.gitdir, source.ref, onChange) };
}

/**
 * A plain directory is imported into a bare repository in the state dir, once. Earlier versions imported it
 * into a non-bare `config-repo` whose working tree API writes left behind; its history moves to the bare
 * repository and the stale tree is renamed, so nobody commits there and reverts those writes.
 */
async function importOnce(dir: string, gitDir: string): Promise<Pick<OpenedConfigRepo, 'cloneCommand' | 'migrated'>> {
  const cloneCommand = `git clone ${gitDir}`;
  if (await isGitRepository(gitDir)) return { cloneCommand };
  const legacy = resolve(gitDir, '..', 'config-repo');
  if (existsSync(join(legacy, '.git'))) {
    await convertToBare(legacy, gitDir);
    renameSync(legacy, `${legacy}.old-worktree`);
    return { cloneCommand, migrated: `${legacy} (a non-bare repository of an earlier version) became the bare repository ${gitDir}; its old working tree, which API writes never updated, is kept at ${legacy}.old-worktree and no longer read` };
  }
  await importDirectoryAsBare(dir, gitDir);
  return { cloneCommand };
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
