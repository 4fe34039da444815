import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { BadRequestError, NotFoundError } from '../errors/index.ts';
import { changesOnIdleParseWorker } from '../loader/index.ts';
// Not source/index.ts: validating files on disk must not load isomorphic-git (a fifth of `kradle validate`'s
// start-up); openSource imports the Git source when it needs one.
import { isGitRepository } from '../source/git-dir.ts';
import type { GitSource, Snapshot } from '../source/index.ts';
import { snapshotWorktree } from '../source/worktree.ts';
import { changedFromCommit } from '../source/worktree-changes.ts';

/** Flags every command that reads the config repo accepts. */
export const SOURCE_FLAGS = {
  repo: { type: 'string' },
  path: { type: 'string' },
} as const;

export interface SourceFlags {
  repo?: string;
  path?: string;
}

const REMOTE = /^https?:\/\//i;

/** The repository `dir` lies in, as git finds it: `dir` itself or the nearest parent holding one. */
async function enclosingRepository(dir: string): Promise<string> {
  for (let d = dir; ; d = dirname(d)) {
    if (await isGitRepository(d)) return d;
    // None above: the source names the directory asked about in its error.
    if (dirname(d) === d) return dir;
  }
}

/**
 * Opens the config repo named by --repo (default: the repository the current directory lies in): a local
 * working or bare repository is read in place, an http(s) URL is fetched first.
 */
export async function openSource(flags: SourceFlags, cwd = process.cwd()): Promise<GitSource> {
  const repo = flags.repo ?? '.';
  const url = REMOTE.test(repo) ? repo : flags.repo === undefined ? await enclosingRepository(resolvePath(cwd)) : resolvePath(cwd, repo);
  const { createGitSource } = await import('../source/git-source.ts');
  const source = createGitSource({ url, path: flags.path });
  if (REMOTE.test(repo)) await source.fetch();
  return source;
}

/** The snapshot of a revision (default: the tracked ref), below --path when given; selecting no YAML file is an error. */
export async function snapshotAt(source: GitSource, rev: string | undefined, path?: string): Promise<Snapshot> {
  const commit = await source.resolve(rev ?? source.ref);
  return nonEmpty(await source.snapshot(commit, path), path, `revision ${rev ?? source.ref} (${commit.slice(0, 12)})`);
}

/** A mistyped --path or --rev must not read as "valid, 0 resources" to a CI job. */
function nonEmpty(snapshot: Snapshot, path: string | undefined, where: string): Snapshot {
  if (snapshot.files.length > 0) return snapshot;
  throw new BadRequestError(`${path ? `--path ${path}` : 'the config repo'} selects no YAML file in ${where}`, {
    details: [{ code: 'EMPTY_SELECTION', message: 'no *.yaml or *.yml file', field: path ? 'path' : 'rev' }],
  });
}

/**
 * The files on disk, uncommitted edits included: `--worktree`, or a --repo that is a plain directory (no Git
 * repository), such as the sample in fixtures/config-repo.
 */
export async function worktreeSnapshot(flags: SourceFlags, cwd = process.cwd()): Promise<Snapshot | undefined> {
  const asked = flags as SourceFlags & { worktree?: boolean };
  if (flags.repo !== undefined && REMOTE.test(flags.repo)) return undefined;
  const dir = flags.repo === undefined ? await enclosingRepository(resolvePath(cwd)) : resolvePath(cwd, flags.repo);
  if (!asked.worktree && (flags.repo === undefined || (await isGitRepository(dir)))) return undefined;
  // A mistyped --repo is not an empty directory: "selects no YAML file" would hide the typo.
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new NotFoundError(`no directory or git repository at ${dir}`);
  return nonEmpty(await snapshotWorktree(dir, flags.path), flags.path, `the files of ${dir}`);
}

/**
 * Whether the local working tree named by --repo (or the current directory) has at least about 500 files in its
 * Git index, the size from which a load parses on workers: an index entry takes ~100 bytes, and its size is one
 * stat, where counting the revision's files means reading its trees first. False when it cannot tell.
 */
export function indexedManyFiles(flags: SourceFlags, cwd = process.cwd()): boolean {
  if (flags.repo !== undefined && REMOTE.test(flags.repo)) return false;
  try {
    return statSync(join(resolvePath(cwd, flags.repo ?? '.'), '.git', 'index')).size >= 48 * 1024;
  } catch {
    return false;
  }
}

/**
 * The YAML files below --path that differ between a commit's snapshot and the working tree it was read from
 * (edited, added or deleted, committed or not): what a validation of the commit did not see. Empty for a
 * remote or bare repository. Like `git status`, it hashes only the files whose stat differs from the index.
 * Given the `load` of the snapshot, it runs on one of that load's parse workers once the parse leaves it idle.
 */
export async function uncommittedChanges(flags: SourceFlags, committed: Snapshot, load?: Promise<unknown>, cwd = process.cwd()): Promise<string[]> {
  if (flags.repo !== undefined && REMOTE.test(flags.repo)) return [];
  const dir = flags.repo === undefined ? await enclosingRepository(resolvePath(cwd)) : resolvePath(cwd, flags.repo);
  // A working tree (its own or a linked one) has .git; a bare repository has no files to compare.
  if (!existsSync(join(dir, '.git'))) return [];
  const here = () => changedFromCommit(dir, flags.path, committed.files);
  return load ? changesOnIdleParseWorker(dir, flags.path, committed.files, load, here) : here();
}

/** --format text|json, anything else a usage error. */
export function parseFormat(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new BadRequestError(`--format must be text or json, not ${JSON.stringify(value)}`);
}
