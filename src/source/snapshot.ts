import type { Snapshot, SnapshotFile } from './types.ts';
import { objectStoreOf } from './context-store.ts';
import { parseTree, type ObjectStore } from './object-store.ts';
import { type GitContext, type TreeEntry, readBlobById, readTreeEntries } from './objects.ts';
import { joinPath, normalizeDir } from './paths.ts';
import { listEntries, listTree, type Listing } from './tree-listing.ts';

/**
 * What a source keeps between snapshots: the object reader and the root listings of the last two snapshots
 * (by the directory they list). A new commit re-reads only the trees whose ids changed, found by walking down
 * those roots along the same paths, so a one-file commit costs the depth of its path, not the count of the
 * repo's directories; what neither root reaches any more is left to the collector.
 */
interface SnapshotCache {
  store: ObjectStore;
  recent: { base: string; root: Listing }[];
}

const caches = new WeakMap<GitContext, SnapshotCache>();
/** The root listing of each snapshot made here, to compare two of them tree by tree. */
const roots = new WeakMap<Snapshot, { cache: SnapshotCache; base: string; root: Listing | undefined }>();

function cacheOf(ctx: GitContext): SnapshotCache {
  let c = caches.get(ctx);
  if (!c) caches.set(ctx, (c = { store: objectStoreOf(ctx), recent: [] }));
  return c;
}

const byPath = (a: SnapshotFile, b: SnapshotFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

function flatten(l: Listing): SnapshotFile[] {
  if (l.all) return l.all;
  const out = [...l.files];
  for (const d of l.dirs.values()) for (const f of flatten(d)) out.push(f);
  return (l.all = out.sort(byPath));
}

/** Files added or changed, and removed or changed, from `a` to `b`: only trees whose ids differ are walked. */
function compare(a: Listing | undefined, b: Listing | undefined, added: SnapshotFile[], removed: SnapshotFile[]): void {
  if (a === b) return;
  if (!a) return void flatten(b!).forEach((f) => added.push(f));
  if (!b) return void flatten(a).forEach((f) => removed.push(f));
  // Both in tree order: one walk. A name that sorts differently in Git and JavaScript (non-ASCII) only shows as
  // removed and added again with the same blob, which a loader reads as no change.
  let i = 0;
  let j = 0;
  while (i < a.files.length || j < b.files.length) {
    // A file the newer listing took over from the older one is the same object: no strings to compare.
    if (a.files[i] !== undefined && a.files[i] === b.files[j]) {
      i++, j++;
      continue;
    }
    const x = a.names[i];
    const y = b.names[j];
    if (x !== undefined && x === y) {
      const was = a.files[i++]!;
      const now = b.files[j++]!;
      if (was.oid !== now.oid || was.symlink !== now.symlink) (removed.push(was), added.push(now));
    } else if (y === undefined || (x !== undefined && x < y)) removed.push(a.files[i++]!);
    else added.push(b.files[j++]!);
  }
  for (const [name, d] of a.dirs) compare(d, b.dirs.get(name), added, removed);
  for (const [name, d] of b.dirs) if (!a.dirs.has(name)) compare(undefined, d, added, removed);
}

/** Lists every YAML file below `dir` at a commit, paths from the repo root, by tree recursion. */
export async function snapshotCommit(ctx: GitContext, commit: string, dir: string): Promise<Snapshot> {
  const cache = cacheOf(ctx);
  await cache.store.refresh();
  const base = normalizeDir(dir);
  const tree = await subtree(ctx, cache, commit, base);
  const earlier = cache.recent.filter((r) => r.base === base).map((r) => r.root);
  const root = tree === undefined ? undefined : await listYaml(ctx, cache, tree, base, earlier);
  if (root) cache.recent = [{ base, root }, ...cache.recent.filter((r) => r.root !== root)].slice(0, 2);
  const readBlob = async (oid: string): Promise<Uint8Array> => {
    const obj = await cache.store.read(oid);
    // A copy: the reader's delta-base cache holds the original, and a caller may write to its bytes.
    return obj?.type === 'blob' ? Uint8Array.prototype.slice.call(obj.data) : readBlobById(ctx, oid);
  };
  const snapshot: Snapshot = {
    revision: commit,
    // Built on first use: a loader that compares snapshots (changesSince) never needs the whole list.
    get files() {
      return root ? flatten(root) : [];
    },
    readBlob,
    readBlobSync: blobReader(cache.store),
    get sharedObjects() {
      return cache.store.shared();
    },
    changesSince(previous) {
      const p = roots.get(previous);
      if (!p || p.cache !== cache || p.base !== base) return undefined;
      const added: SnapshotFile[] = [];
      const removed: SnapshotFile[] = [];
      compare(p.root, root, added, removed);
      return { added, removed };
    },
  };
  roots.set(snapshot, { cache, base, root });
  return snapshot;
}
/** Reads a blob at once; made at module level so it holds the object store alone, not the snapshot. */
function blobReader(store: ObjectStore): (oid: string) => Uint8Array | undefined {
  return (oid) => {
    try {
      const obj = store.readSync(oid);
      return obj?.type === 'blob' ? obj.data : undefined;
    } catch {
      return undefined;
    }
  };
}

/** A tree's entries through the fast reader, else isomorphic-git (which peels commits and tags itself). */
async function readTree(ctx: GitContext, cache: SnapshotCache, oid: string): Promise<{ oid: string; tree: TreeEntry[] }> {
  const { oid: id, bytes, tree } = await readTreeObject(ctx, cache, oid);
  return { oid: id, tree: tree ?? parseTree(bytes!) };
}

/** A tree object's bytes through the fast reader, else its entries through isomorphic-git. */
async function readTreeObject(ctx: GitContext, cache: SnapshotCache, oid: string): Promise<{ oid: string; bytes?: Buffer; tree?: TreeEntry[] }> {
  let id = oid;
  for (let depth = 0; depth < 8; depth++) {
    const obj = cache.store.readSync(id) ?? (await cache.store.read(id));
    if (!obj) break;
    if (obj.type === 'tree') return { oid: id, bytes: obj.data };
    const text = obj.data.toString('latin1', 0, Math.min(obj.data.length, 200));
    const next = obj.type === 'commit' ? /^tree ([0-9a-f]{40})/.exec(text) : obj.type === 'tag' ? /^object ([0-9a-f]{40})/.exec(text) : null;
    if (!next) break;
    id = next[1]!;
  }
  return readTreeEntries(ctx, id);
}

async function subtree(ctx: GitContext, cache: SnapshotCache, commit: string, dir: string): Promise<string | undefined> {
  let { oid, tree } = await readTree(ctx, cache, commit);
  for (const part of dir.split('/').filter(Boolean)) {
    const entry = tree.find((e) => e.path === part);
    if (!entry || entry.type !== 'tree') return undefined;
    ({ oid, tree } = await readTree(ctx, cache, entry.oid));
  }
  return oid;
}

/**
 * The listing of a tree: an earlier listing at the same path when the tree is the same, else read, spliced
 * against the most recent earlier listing at that path (see listTree).
 */
async function listYaml(ctx: GitContext, cache: SnapshotCache, treeOid: string, prefix: string, earlier: Listing[]): Promise<Listing> {
  const same = earlier.find((l) => l.oid === treeOid);
  if (same) return same;
  const subtree = (name: string, oid: string) => listYaml(ctx, cache, oid, joinPath(prefix, name), earlier.flatMap((l) => l.dirs.get(name) ?? []));
  const { bytes, tree } = await readTreeObject(ctx, cache, treeOid);
  return bytes ? listTree(treeOid, bytes, prefix, subtree, earlier[0]) : listEntries(treeOid, tree!, prefix, subtree);
}
