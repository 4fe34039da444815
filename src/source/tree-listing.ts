import { corruptObjectError, type TreeEntry } from './objects.ts';
import { isReportedLink, isYamlPath, joinPath } from './paths.ts';
import type { SnapshotFile } from './types.ts';

/** The YAML files directly in one tree and its subtrees. A tree id's listing never changes. */
export interface Listing {
  oid: string;
  files: SnapshotFile[];
  /** The entry name of each file (flat strings, cheap to compare; paths are built by concatenation). */
  names: string[];
  dirs: Map<string, Listing>;
  /** Every file below, flattened on first use. */
  all?: SnapshotFile[];
  /** The tree object's bytes, where each entry starts in them (and their length last), and each file's entry: what a newer tree at the same path is spliced against. Absent for a tree read through isomorphic-git. */
  raw?: { bytes: Buffer; starts: Int32Array; fileEntry: Int32Array };
}

/** One entry of a tree object: Git's `<mode> <name>\0<20-byte id>`. */
interface Entry {
  name: string;
  oid: string;
  kind: 'file' | 'link' | 'dir' | 'other';
  start: number;
}

function entryAt(oid: string, bytes: Buffer, p: number): Entry & { end: number } {
  const space = bytes.indexOf(0x20, p);
  const nul = space < 0 ? -1 : bytes.indexOf(0, space);
  if (nul < 0 || nul + 21 > bytes.length) throw corruptObjectError('tree', oid, new Error(`entry at byte ${p} is cut short`));
  const mode = bytes.toString('latin1', p, space);
  // As Git reads modes: a submodule is skipped, any other non-tree entry is a file.
  const kind = mode === '40000' || mode === '040000' ? 'dir' : mode === '120000' ? 'link' : mode === '160000' ? 'other' : 'file';
  return { name: bytes.toString('utf8', space + 1, nul), oid: bytes.toString('hex', nul + 1, nul + 21), kind, start: p, end: nul + 21 };
}

/** A file entry as the snapshot lists it, or undefined for a file it leaves out (not YAML, not a reported link). */
function fileOf(e: Entry, prefix: string): SnapshotFile | undefined {
  const path = joinPath(prefix, e.name);
  if (e.kind === 'link') return isReportedLink(path) ? { path, oid: e.oid, symlink: true } : undefined;
  return e.kind === 'file' && isYamlPath(path) ? { path, oid: e.oid } : undefined;
}

/**
 * The listing of a tree from entries isomorphic-git read (no bytes, so a later tree at this path is read whole):
 * the same files as listTree keeps.
 */
export async function listEntries(oid: string, tree: readonly TreeEntry[], prefix: string, subtree: ListSubtree): Promise<Listing> {
  const listing: Listing = { oid, files: [], names: [], dirs: new Map() };
  const subtrees: Promise<void>[] = [];
  tree.forEach((t, start) => {
    const kind = t.type === 'tree' ? 'dir' : t.type === 'commit' ? 'other' : t.mode === '120000' ? 'link' : 'file';
    if (kind === 'dir') return void subtrees.push(subtree(t.path, t.oid).then((l) => void listing.dirs.set(t.path, l)));
    const file = fileOf({ name: t.path, oid: t.oid, kind, start }, prefix);
    if (file) (listing.files.push(file), listing.names.push(t.path));
  });
  await Promise.all(subtrees);
  return listing;
}

/** Lists subtree `name` (id `oid`) below `prefix`; the caller's reader, so this module stays free of I/O. */
export type ListSubtree = (name: string, oid: string) => Promise<Listing>;

/**
 * The listing of a tree from its bytes. With `before`, the listing of the tree at the same path in an earlier
 * snapshot, only the entries between the bytes both share at the start and at the end are parsed: a one-file
 * change reads one entry of a directory of thousands, and the rest is copied (memcpy-cheap) from `before`.
 */
export async function listTree(oid: string, bytes: Buffer, prefix: string, subtree: ListSubtree, before?: Listing): Promise<Listing> {
  const old = before?.raw;
  const listing: Listing = { oid, files: [], names: [], dirs: new Map() };
  const starts: number[] = [];
  const fileEntry: number[] = [];
  const subtrees: Promise<void>[] = [];
  /** Old files in the parsed span, by name: a file that moved within it keeps its object. */
  const reusable = new Map<string, SnapshotFile>();
  const take = (e: Entry, index: number) => {
    starts.push(e.start);
    if (e.kind === 'dir') return void subtrees.push(subtree(e.name, e.oid).then((l) => void listing.dirs.set(e.name, l)));
    const kept = reusable.get(e.name);
    const file = kept && kept.oid === e.oid && !!kept.symlink === (e.kind === 'link') ? kept : fileOf(e, prefix);
    if (file) (listing.files.push(file), listing.names.push(e.name), fileEntry.push(index));
  };

  if (!old || !before) {
    for (let p = 0, n = 0; p < bytes.length; n++) {
      const e = entryAt(oid, bytes, p);
      take(e, n);
      p = e.end;
    }
    starts.push(bytes.length);
    await Promise.all(subtrees);
    listing.raw = { bytes, starts: Int32Array.from(starts), fileEntry: Int32Array.from(fileEntry) };
    return listing;
  }

  const oldEntries = old.starts.length - 1;
  const prefixBytes = commonPrefix(old.bytes, bytes);
  const suffixBytes = commonSuffix(old.bytes, bytes, Math.min(old.bytes.length, bytes.length) - prefixBytes);
  const delta = bytes.length - old.bytes.length;
  // Entries [0, i) end within the shared prefix: the same in both trees.
  const i = lastAtMost(old.starts, prefixBytes);
  const fromFile = lowerBound(old.fileEntry, i);
  // The old entries from i on, until the new parse lands on an old entry start inside the shared suffix (from
  // there the bytes, and so the entries, are the same): m is that old entry.
  let m = i;
  let p = old.starts[i]!;
  let oldFileCursor = fromFile;
  const middle: Entry[] = [];
  for (;;) {
    const target = p - delta;
    while (m < oldEntries && old.starts[m]! < target) m++;
    if (old.starts[m] === target && target >= old.bytes.length - suffixBytes) break;
    const e = entryAt(oid, bytes, p);
    middle.push(e);
    p = e.end;
  }
  // Old files in entries [i, m), the span the new entries replace.
  while (oldFileCursor < before.files.length && old.fileEntry[oldFileCursor]! < m) {
    reusable.set(before.names[oldFileCursor]!, before.files[oldFileCursor]!);
    oldFileCursor++;
  }
  for (const [name, dir] of before.dirs) listing.dirs.set(name, dir);
  for (let s = i; s < m; s++) {
    const e = entryAt(before.oid, old.bytes, old.starts[s]!);
    if (e.kind === 'dir') listing.dirs.delete(e.name);
  }
  // The middle's entries into the (empty) arrays, then the shared head and tail around them: copied whole
  // (native slices), only the tail's offsets moved by the bytes and entries the middle added or removed.
  middle.forEach((e, k) => take(e, i + k));
  const tail = before.files.length - oldFileCursor;
  listing.files = before.files.slice(0, fromFile).concat(listing.files, before.files.slice(oldFileCursor));
  listing.names = before.names.slice(0, fromFile).concat(listing.names, before.names.slice(oldFileCursor));
  const entryIndex = new Int32Array(fromFile + fileEntry.length + tail);
  entryIndex.set(old.fileEntry.subarray(0, fromFile));
  entryIndex.set(fileEntry, fromFile);
  const shift = i + middle.length - m;
  for (let f = 0, at = fromFile + fileEntry.length; f < tail; f++) entryIndex[at + f] = old.fileEntry[oldFileCursor + f]! + shift;
  const offsets = new Int32Array(i + middle.length + oldEntries - m + 1);
  offsets.set(old.starts.subarray(0, i));
  offsets.set(starts, i);
  for (let s = m, at = i + middle.length; s <= oldEntries; s++) offsets[at + s - m] = old.starts[s]! + delta;
  await Promise.all(subtrees);
  listing.raw = { bytes, starts: offsets, fileEntry: entryIndex };
  return listing;
}

const CHUNK = 4096;

/** How many bytes `a` and `b` share from the start: compared natively, a chunk at a time. */
export function commonPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let p = 0;
  while (p + CHUNK <= n && a.compare(b, p, p + CHUNK, p, p + CHUNK) === 0) p += CHUNK;
  while (p < n && a[p] === b[p]) p++;
  return p;
}

/** How many bytes `a` and `b` share at the end, at most `limit`. */
export function commonSuffix(a: Buffer, b: Buffer, limit: number): number {
  let s = 0;
  while (s + CHUNK <= limit && a.compare(b, b.length - s - CHUNK, b.length - s, a.length - s - CHUNK, a.length - s) === 0) s += CHUNK;
  while (s < limit && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return s;
}

/** The largest index whose value is at most `x` in an ascending array whose first value is at most `x`. */
function lastAtMost(xs: Int32Array, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The first index whose value is at least `x` in an ascending array (its length when none is). */
function lowerBound(xs: Int32Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
