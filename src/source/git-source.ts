import { type GitSource, type GitSourceOptions, createLocalSource } from './local-source.ts';

export type { GitSource, GitSourceOptions };

/**
 * Builds the config repo source: a filesystem path is read in place, an http(s) URL is fetched
 * into a cache directory.
 */
export function createGitSource(opts: GitSourceOptions): GitSource {
  return createLocalSource(opts);
}
