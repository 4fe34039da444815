import { resolve as resolvePath } from 'node:path';
import { BadRequestError } from '../errors/index.ts';
import { createGitSource, type GitSource, type Snapshot } from '../source/index.ts';

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

/**
 * Opens the config repo named by --repo (default: the current directory): a local working or bare
 * repository is read in place, an http(s) URL is fetched first.
 */
export async function openSource(flags: SourceFlags, cwd = process.cwd()): Promise<GitSource> {
  const repo = flags.repo ?? '.';
  const url = REMOTE.test(repo) ? repo : resolvePath(cwd, repo);
  const source = createGitSource({ url, path: flags.path });
  if (REMOTE.test(repo)) await source.fetch();
  return source;
}

/** The snapshot of a revision (default: the tracked ref), below --path when given. */
export async function snapshotAt(source: GitSource, rev: string | undefined, path?: string): Promise<Snapshot> {
  const commit = await source.resolve(rev ?? source.ref);
  return source.snapshot(commit, path);
}

/** --format text|json, anything else a usage error. */
export function parseFormat(value: string | undefined): 'text' | 'json' {
  if (value === undefined || value === 'text' || value === 'json') return value ?? 'text';
  throw new BadRequestError(`--format must be text or json, not ${JSON.stringify(value)}`);
}
