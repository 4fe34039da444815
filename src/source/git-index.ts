import { readFileSync, statSync } from 'node:fs';

/**
 * A reader of Git's index file (.git/index, versions 2 to 4): for each tracked path, the blob id and the stat
 * data Git recorded when it last hashed the file. `git status` compares a file's stat with these and hashes only
 * the files whose stat differs; so can we. Read only: Kradle never writes the index.
 */

export interface IndexEntry {
  readonly oid: string;
  /** Seconds (low 32 bits, as Git stores them) and nanoseconds. */
  readonly mtimeS: number;
  readonly mtimeNs: number;
  readonly ctimeS: number;
  readonly ctimeNs: number;
  /** Low 32 bits of the inode number and of the size. */
  readonly ino: number;
  readonly size: number;
  readonly mode: number;
}

/** An entry read from the index's bytes when asked: a load compares thousands and needs few fields of each. */
class Entry implements IndexEntry {
  constructor(private readonly buf: Buffer, private readonly at: number) {}
  get ctimeS() { return this.buf.readUInt32BE(this.at); }
  get ctimeNs() { return this.buf.readUInt32BE(this.at + 4); }
  get mtimeS() { return this.buf.readUInt32BE(this.at + 8); }
  get mtimeNs() { return this.buf.readUInt32BE(this.at + 12); }
  get ino() { return this.buf.readUInt32BE(this.at + 20); }
  get mode() { return this.buf.readUInt32BE(this.at + 24); }
  get size() { return this.buf.readUInt32BE(this.at + 36); }
  get oid() { return this.buf.toString('hex', this.at + 40, this.at + 60); }
}

export interface GitIndex {
  entries: Map<string, IndexEntry>;
  /**
   * Paths marked skip-worktree (outside a sparse checkout's cone, or `git update-index --skip-worktree`): git
   * leaves them off the disk on purpose, and `git status` does not call them deleted.
   */
  skipWorktree: Set<string>;
  /** Paths the index holds with no blob of the file on disk (conflicted, intent-to-add): tracked all the same. */
  blobless: Set<string>;
  /** When the index was written (ms since the epoch, as lstat gives mtimeMs): an entry modified at or after it may be racily clean. */
  writtenMs: number;
}

const SKIP_WORKTREE = 0x4000;
const INTENT_TO_ADD = 0x2000;

/**
 * The index at `file`, or undefined when there is none or it holds what this reader does not trust (a split
 * index, an unknown version, a truncated file): the caller then hashes every file, which is always right.
 */
export function readGitIndex(file: string): GitIndex | undefined {
  let buf: Buffer;
  let writtenMs: number;
  try {
    writtenMs = statSync(file).mtimeMs;
    buf = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    return { ...parseEntries(buf), writtenMs };
  } catch {
    return undefined;
  }
}

function parseEntries(buf: Buffer): Pick<GitIndex, 'entries' | 'skipWorktree' | 'blobless'> {
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== 'DIRC') throw new Error('not an index');
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) throw new Error(`index version ${version}`);
  const count = buf.readUInt32BE(8);
  const entries = new Map<string, IndexEntry>();
  const skipWorktree = new Set<string>();
  const blobless = new Set<string>();
  let at = 12;
  let prev: Buffer = Buffer.alloc(0);
  for (let i = 0; i < count; i++) {
    const start = at;
    const flags = buf.readUInt16BE(at + 60);
    let extended = 0;
    at += 62;
    if (version >= 3 && flags & 0x4000) (extended = buf.readUInt16BE(at)), (at += 2);
    let path: string;
    if (version === 4) {
      // Prefix compression: drop N bytes of the previous path's end, then append the NUL-terminated suffix.
      let c = buf[at++]!;
      let drop = c & 127;
      while (c & 128) (c = buf[at++]!), (drop = ((drop + 1) << 7) + (c & 127));
      const end = buf.indexOf(0, at);
      if (end < 0 || drop > prev.length) throw new Error('bad index path');
      prev = Buffer.concat([prev.subarray(0, prev.length - drop), buf.subarray(at, end)]);
      path = prev.toString('utf8');
      at = end + 1;
    } else {
      const end = buf.indexOf(0, at);
      if (end < 0) throw new Error('bad index path');
      path = buf.toString('utf8', at, end);
      // Entries are padded with NULs to a multiple of 8 bytes.
      at = start + ((end - start + 8) & ~7);
    }
    if (at > buf.length) throw new Error('truncated index');
    const stage = (flags >> 12) & 3;
    if (stage === 0 && extended & SKIP_WORKTREE) skipWorktree.add(path);
    // Conflicted, sparse or intent-to-add entries record no blob of the file on disk.
    if (stage !== 0 || extended & (SKIP_WORKTREE | INTENT_TO_ADD)) {
      if (!skipWorktree.has(path)) blobless.add(path);
      continue;
    }
    entries.set(path, new Entry(buf, start));
  }
  // A split index keeps most entries in a shared file: this one alone is not the whole index.
  for (let e = at; e + 8 <= buf.length - 20; ) {
    const sig = buf.toString('latin1', e, e + 4);
    if (sig === 'link') throw new Error('split index');
    e += 8 + buf.readUInt32BE(e + 4);
  }
  return { entries, skipWorktree, blobless };
}

/** Whether git tracks the path: the index holds it, with or without a blob of the file on disk. */
export function isTracked(index: GitIndex, path: string): boolean {
  return index.entries.has(path) || index.skipWorktree.has(path) || index.blobless.has(path);
}

/** The lstat data Git compares, as plain numbers: a stat of BigInts costs a dozen allocations, and a load makes thousands. */
export interface FileStat {
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  size: number;
  isSymbolicLink(): boolean;
}

/**
 * A time the index holds (seconds, nanoseconds) in milliseconds, computed as Node computes a stat's mtimeMs from
 * the same two numbers: equal times give the same double. Two times less than a double's step apart (~0.25 us
 * today) are the same here, where Git tells them apart; the racy check below still hashes a file written in the
 * instant of the index write.
 */
const msOf = (s: number, ns: number) => s * 1e3 + ns / 1e6;

/**
 * Whether the file on disk still holds the entry's blob, by stat alone, as Git decides it: same size, times and
 * inode, and modified before the index was written (a file changed in the same instant as the index write is
 * "racily clean" and must be hashed).
 */
export function statMatches(e: IndexEntry, st: FileStat, writtenMs: number): boolean {
  const mtime = msOf(e.mtimeS, e.mtimeNs);
  if (mtime >= writtenMs || ((e.mode & 0o170000) === 0o120000) !== st.isSymbolicLink()) return false;
  // Whole times compared as they are, where their low 32 bits of seconds are what the entry holds: a time before
  // 1970 or after 2106 (seconds that do not fit) then does not match, and the file is hashed, which is always right.
  if (st.mtimeMs !== mtime || st.ctimeMs !== msOf(e.ctimeS, e.ctimeNs)) return false;
  return st.size % 4294967296 === e.size && st.ino % 4294967296 === e.ino;
}
