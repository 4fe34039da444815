import { watch, type FSWatcher } from 'node:fs';
import { join, sep } from 'node:path';

export interface RefWatcher {
  close(): void;
}

/**
 * Calls `onChange` soon after a ref of a local repository may have moved: a `git push` into it, a commit
 * in its working tree, or `git gc` packing refs. Git moves a ref by renaming `<ref>.lock` onto it, so the
 * directories holding refs/heads and packed-refs are watched rather than the files. Callers re-read the
 * ref and ignore a change that moved nothing; their poll stays the fallback for file systems that do not
 * report changes.
 */
export function watchRefs(gitdir: string, branch: string, onChange: () => void, debounceMs = 25): RefWatcher {
  let timer: NodeJS.Timeout | undefined;
  const fire = (file: string | null) => {
    if (file !== null && file.endsWith('.lock')) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const watchers: FSWatcher[] = [];
  const add = (path: string, recursive: boolean, filter?: (f: string | null) => boolean) => {
    try {
      const w = watch(path, { recursive, persistent: false }, (_event, file) => {
        if (!filter || filter(file)) fire(file);
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // no such directory yet, or no watch support here: the poll still finds the change
    }
  };
  // Other branches (pull-request branches Kradle writes, say) move nothing that is synced.
  add(join(gitdir, 'refs', 'heads'), true, (f) => f === null || f.split(sep).join('/') === branch || branch === 'HEAD');
  add(gitdir, false, (f) => f === 'packed-refs' || f === 'HEAD');
  return {
    close() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
