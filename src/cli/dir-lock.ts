import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What the lock file says about the process holding a directory. */
export interface LockHolder {
  pid: number;
  command: string;
  startedAt: string;
  /** Where a holding `kradle serve` listens, once it does. */
  url?: string;
}

export interface DirLock {
  readonly file: string;
  /** Adds what others should know (the server's URL) to the lock file. */
  update(extra: Partial<LockHolder>): void;
  release(): void;
}

/** A directory held by another live process: stops the caller before it opens or creates anything there. */
export class DirInUseError extends Error {
  constructor(readonly dir: string, readonly holder: LockHolder, hint: string) {
    super(`${dir} is in use by process ${holder.pid} (${holder.command}, since ${holder.startedAt}${holder.url ? `, serving ${holder.url}` : ''}): ${hint}`);
  }
}

const LOCK_NAME = 'kradle.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return Number.isInteger(h.pid) ? h : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<dir>/kradle.lock` (pid, command, start time), so that a second process on the same PGlite data or
 * state directory fails at once, naming the holder, instead of corrupting or aborting later. A lock whose
 * process is gone (killed, crashed) is taken over. Released on release() and on process exit.
 * `hint` says what to do instead; it ends the error message.
 */
export function lockDir(dir: string, command: string, hint: string): DirLock {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  const file = join(abs, LOCK_NAME);
  let holder: LockHolder = { pid: process.pid, command, startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(holder), { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const other = readHolder(file);
      if (other && other.pid !== process.pid && alive(other.pid)) throw new DirInUseError(abs, other, hint);
      // A stale or unreadable lock: its writer is gone. One retry, so two newcomers cannot both take it.
      if (attempt > 0) throw new Error(`cannot take the lock ${file}: remove it if no Kradle process uses ${abs}`);
      rmSync(file, { force: true });
    }
  }
  const release = () => {
    if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return {
    file,
    update(extra) {
      holder = { ...holder, ...extra };
      writeFileSync(file, JSON.stringify(holder));
    },
    release,
  };
}
