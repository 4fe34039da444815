import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

export interface RefWatcher {
  close(): void;
}

/**
 * Calls `onChange` soon after a ref of a local repository may have moved: a `git push` into it, a commit
 * in its working tree, or `git gc` packing refs. Git moves a ref by renaming `<ref>.lock` onto it, so the
 * directories holding the branch's ref file and packed-refs are watched rather than the files. Callers re-read
 * the ref and ignore a change that moved nothing; their poll stays the fallback for file systems that do not
 * report changes.
 *
 * Each directory is watched on its own, never with `recursive: true`: Node 20 emulates that on Linux and loses a
 * file once it has been replaced by a rename, so after the first push (or API write) every later push went
 * unnoticed until the poll. A branch with slashes (`team/config`) lives in subdirectories of refs/heads, which a
 * push may create or a `git pack-refs` remove: those are watched as they appear.
 */
export function watchRefs(gitdir: string, branch: string, onChange: () => void, debounceMs = 25): RefWatcher {
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const fire = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  };
  const isLock = (file: string | null) => file !== null && file.endsWith('.lock');
  const add = (path: string, onEvent: (file: string | null) => void): FSWatcher | undefined => {
    try {
      const w = watch(path, { persistent: false }, (_event, file) => onEvent(file === null ? null : String(file)));
      w.on('error', () => w.close());
      return w;
    } catch {
      return undefined; // no such directory yet, or no watch support here: the poll still finds the change
    }
  };

  // refs/heads and each directory below it on the way to the branch's file; `next[i]` is the entry of `dirs[i]`
  // that leads there. Other branches (pull-request branches Kradle writes, say) move nothing that is synced.
  // A detached HEAD ('HEAD') moves by its own file; any branch counts, as HEAD may be made to name one.
  const names = branch === 'HEAD' ? [] : branch.split('/');
  const dirs = [join(gitdir, 'refs', 'heads')];
  for (const name of names.slice(0, -1)) dirs.push(join(dirs[dirs.length - 1]!, name));
  const byDir: (FSWatcher | undefined)[] = dirs.map(() => undefined);

  const arm = () => {
    for (let i = 0; i < dirs.length && !closed; i++) {
      byDir[i] ??= add(dirs[i]!, (file) => {
        if (isLock(file) || (branch !== 'HEAD' && file !== null && file !== names[i])) return;
        // The entry leading to the branch came or went: the directories below it are new ones, or gone.
        for (let j = i + 1; j < dirs.length; j++) (byDir[j]?.close(), (byDir[j] = undefined));
        arm();
        fire();
      });
      if (!byDir[i]) break;
    }
  };
  arm();
  const top = add(gitdir, (file) => {
    if (file === 'packed-refs' || file === 'HEAD') fire();
  });
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      top?.close();
      for (const w of byDir) w?.close();
    },
  };
}
