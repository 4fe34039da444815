import { watch } from 'chokidar';
import { relative, sep } from 'node:path';
import { isYamlPath, normalizeDir } from './paths.ts';
import type { Snapshot } from './types.ts';
import { snapshotWorktree } from './worktree.ts';

export interface WorktreeWatcherOptions {
  dir: string;
  path?: string;
  debounceMs?: number;
  /** Called with each snapshot whose revision differs from the last one delivered. */
  onSnapshot(snapshot: Snapshot): void | Promise<void>;
  onError?(err: unknown): void;
}

export interface WorktreeWatcher {
  /** Resolves once the initial scan is done: edits after this are seen. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const IGNORED = /(^|[\\/])(\.git|node_modules)([\\/]|$)/;

/** Dev mode: re-reads the working tree (uncommitted edits included) after each burst of saves. */
export function createWorktreeWatcher(opts: WorktreeWatcherOptions): WorktreeWatcher {
  const { dir, debounceMs = 200 } = opts;
  const base = normalizeDir(opts.path);
  const watcher = watch(dir, {
    ignoreInitial: true,
    ignored: (p: string) => IGNORED.test(relative(dir, p)),
  });
  let timer: NodeJS.Timeout | undefined;
  let building: Promise<void> | undefined;
  let again = false;
  let lastRevision: string | undefined;
  let closed = false;

  async function build(): Promise<void> {
    do {
      again = false;
      try {
        const snap = await snapshotWorktree(dir, base);
        if (closed || snap.revision === lastRevision) continue;
        lastRevision = snap.revision;
        await opts.onSnapshot(snap);
      } catch (err) {
        opts.onError?.(err);
      }
    } while (again && !closed);
    building = undefined;
  }

  function changed(event: string, path: string): void {
    if (event !== 'addDir' && event !== 'unlinkDir' && !isYamlPath(path)) return;
    const rel = relative(dir, path).split(sep).join('/');
    if (base !== '' && rel !== base && !rel.startsWith(`${base}/`) && !base.startsWith(`${rel}/`)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (building) again = true;
      else building = build();
    }, debounceMs);
  }

  watcher.on('all', (event, path) => changed(event, path));
  watcher.on('error', (err) => opts.onError?.(err));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      closed = true;
      clearTimeout(timer);
      await watcher.close();
      await building;
    },
  };
}
