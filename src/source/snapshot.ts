import type { Snapshot, SnapshotFile } from './types.ts';
import { createObjectStore, parseTree, type ObjectStore } from './object-store.ts';
import { type GitContext, type TreeEntry, readBlobById, readTreeEntries } from './objects.ts';
import { isReportedLink, isYamlPath, joinPath, normalizeDir } from './paths.ts';

/**
 * What a source keeps between snapshots: the object reader and, by tree id and path, the YAML
 * files below each tree. A tree id's listing never changes, so a new commit re-reads only the
 * trees on changed paths. Listings not used by the last two snapshots are dropped.
 */
interface SnapshotCache {
  store: ObjectStore;
  previous: Map<string, SnapshotFile[]>;
  current: Map<string, SnapshotFile[]>;
}

const caches = new WeakMap<GitContext, SnapshotCache>();

function cacheOf(ctx: GitContext): SnapshotCache {
  let c = caches.get(ctx);
  if (!c) caches.set(ctx, (c = { store: createObjectStore(ctx.gitdir), previous: new Map(), current: new Map() }));
  return c;
}

/** Lists every YAML file below `dir` at a commit, paths from the repo root, by tree recursion. */
export async function snapshotCommit(ctx: GitContext, commit: string, dir: string): Promise<Snapshot> {
  const cache = cacheOf(ctx);
  await cache.store.refresh();
  const used = new Map<string, SnapshotFile[]>();
  const base = normalizeDir(dir);
  const tree = await subtree(ctx, cache, commit, base);
  const files = tree === undefined ? [] : [...(await listYaml(ctx, cache, used, tree, base))];
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  cache.previous = cache.current;
  cache.current = used;
  const readBlob = async (oid: string): Promise<Uint8Array> => {
    const obj = await cache.store.read(oid);
    // A copy: the reader's delta-base cache holds the original, and a caller may write to its bytes.
    return obj?.type === 'blob' ? Uint8Array.prototype.slice.call(obj.data) : readBlobById(ctx, oid);
  };
  return { revision: commit, files, readBlob };
}

/** A tree's entries through the fast reader, else isomorphic-git (which peels commits and tags itself). */
async function readTree(ctx: GitContext, cache: SnapshotCache, oid: string): Promise<{ oid: string; tree: TreeEntry[] }> {
  let id = oid;
  for (let depth = 0; depth < 8; depth++) {
    const obj = await cache.store.read(id);
    if (!obj) break;
    if (obj.type === 'tree') return { oid: id, tree: parseTree(obj.data) };
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

/** The YAML files below a tree, from the cache when this tree was listed at this path before. */
async function listYaml(ctx: GitContext, cache: SnapshotCache, used: Map<string, SnapshotFile[]>, treeOid: string, prefix: string): Promise<SnapshotFile[]> {
  const key = `${prefix}\0${treeOid}`;
  const hit = used.get(key) ?? cache.current.get(key) ?? cache.previous.get(key);
  if (hit) {
    used.set(key, hit);
    return hit;
  }
  const { tree } = await readTree(ctx, cache, treeOid);
  const out: SnapshotFile[] = [];
  const subtrees: Promise<SnapshotFile[]>[] = [];
  for (const e of tree) {
    const path = joinPath(prefix, e.path);
    if (e.type === 'tree') subtrees.push(listYaml(ctx, cache, used, e.oid, path));
    else if (e.type !== 'blob') continue;
    else if (e.mode === '120000') {
      if (isReportedLink(path)) out.push({ path, oid: e.oid, symlink: true });
    } else if (isYamlPath(path)) out.push({ path, oid: e.oid });
  }
  for (const list of await Promise.all(subtrees)) for (const f of list) out.push(f);
  used.set(key, out);
  return out;
}
