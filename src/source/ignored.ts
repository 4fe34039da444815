import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignoreModule, { type Ignore } from 'ignore';
import { excludesFileOf } from './excludes-file.ts';
import { isTracked, type GitIndex } from './git-index.ts';

/** What the ignore check needs of a Git working tree: its git directory, and its index (a linked worktree's own). */
export interface WorktreeGit {
  gitdir: string;
  indexFile: string;
  /** Undefined when there is no index file, or one this reader does not trust. */
  index: GitIndex | undefined;
}

// A CommonJS module whose typings declare an ES default export: the function is also its own `default`.
const ignore = ignoreModule.default;

function rules(file: string): Ignore | undefined {
  try {
    return ignore().add(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // none there (or a directory of that name): no rules
  }
}

/**
 * The paths without those git ignores (.gitignore files at any depth, .git/info/exclude, core.excludesFile) and does not track, as
 * `git status` leaves them out. A tracked file stays, whatever the rules say. Only untracked files are checked
 * (a working tree of 10,000 files has few), each rule file is read once, and a directory is decided once for
 * all the files below it. The rules are matched by `ignore`, the matcher isomorphic-git's isIgnored uses; that
 * function itself reads every rule file again for each path, and would bring isomorphic-git into the parse
 * workers, which list the working tree too (changesOnIdleParseWorker).
 */
export function withoutIgnored<T extends { path: string }>(dir: string, git: WorktreeGit, listed: T[]): T[] {
  const { index } = git;
  // An index this reader does not trust (a split index) cannot say what is tracked: nothing is left out then.
  if (!index && existsSync(git.indexFile)) return listed;
  const untracked = index ? listed.filter((l) => !isTracked(index, l.path)) : listed;
  if (untracked.length === 0) return listed;
  const exclude = rules(join(git.gitdir, 'info', 'exclude'));
  const excludesFile = excludesFileOf(git.gitdir, dir);
  const global = excludesFile === undefined ? undefined : rules(excludesFile);
  const gitignores = new Map<string, Ignore | undefined>();
  const gitignoreOf = (d: string) => {
    if (!gitignores.has(d)) gitignores.set(d, rules(join(dir, d, '.gitignore')));
    return gitignores.get(d);
  };
  // A pattern decides for `path` (a directory ends with '/'): the deepest .gitignore that has a say wins, as in git,
  // each relative to its own directory; then .git/info/exclude, then core.excludesFile (both relative to the root).
  const matched = (path: string): boolean => {
    const name = path.endsWith('/') ? path.slice(0, -1) : path;
    for (let at = name.lastIndexOf('/'); ; at = name.lastIndexOf('/', at - 1)) {
      const verdict = gitignoreOf(at < 0 ? '' : name.slice(0, at))?.test(path.slice(at + 1));
      if (verdict?.ignored) return true;
      if (verdict?.unignored) return false;
      if (at < 0) break;
    }
    const excluded = exclude?.test(path);
    if (excluded?.ignored || excluded?.unignored) return excluded.ignored;
    return global?.ignores(path) ?? false;
  };
  // A file below an excluded directory is excluded: git does not look inside, so no pattern re-includes it.
  const dirs = new Map<string, boolean>();
  const below = (path: string): boolean => {
    const at = path.lastIndexOf('/');
    if (at < 0) return false;
    const parent = path.slice(0, at);
    if (!dirs.has(parent)) dirs.set(parent, below(parent) || matched(`${parent}/`));
    return dirs.get(parent)!;
  };
  const ignored = new Set(untracked.filter((l) => below(l.path) || matched(l.path)).map((l) => l.path));
  return ignored.size === 0 ? listed : listed.filter((l) => !ignored.has(l.path));
}
