import { type GitSource, type GitSourceOptions, createLocalSource } from './local-source.ts';
import { createRemoteSource } from './remote-source.ts';
import { isRemoteUrl } from './remote-url.ts';

export type { GitSource, GitSourceOptions };

/**
 * Builds the config repo source: a filesystem path is read in place, an http(s) URL is fetched
 * into a cache directory (call fetch() before reading).
 */
export function createGitSource(opts: GitSourceOptions): GitSource {
  return isRemoteUrl(opts.url) ? createRemoteSource(opts) : createLocalSource(opts);
}
