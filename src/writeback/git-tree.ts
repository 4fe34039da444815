import git from 'isomorphic-git';
import { ConflictError } from '../errors/index.ts';
import type { SnapshotFile } from '../source/types.ts';
import type { WriterFs } from './types.ts';

export interface GitContext {
  fs: WriterFs;
  gitdir: string;
  cache: object;
  /** Parsed trees by id, shared by listing and rewriting: a write re-reads the trees it just wrote. */
  trees?: Map<string, readonly TreeEntry[]>;
}

type TreeEntry = Awaited<ReturnType<typeof git.readTree>>['tree'][number];
const MAX_CACHED_TREES = 20_000;

async function readTreeEntries(ctx: GitContext, oid: string): Promise<readonly TreeEntry[]> {
  const hit = ctx.trees?.get(oid);
  if (hit) return hit;
  const { tree } = await git.readTree({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid });
  remember(ctx, oid, tree);
  return tree;
}

function remember(ctx: GitContext, oid: string, entries: readonly TreeEntry[]): void {
  if (!ctx.trees) return;
  if (ctx.trees.size >= MAX_CACHED_TREES) ctx.trees.clear();
  ctx.trees.set(oid, entries);
}

async function writeTreeEntries(ctx: GitContext, entries: TreeEntry[]): Promise<string> {
  const oid = await git.writeTree({ fs: ctx.fs, gitdir: ctx.gitdir, tree: entries });
  remember(ctx, oid, entries);
  return oid;
}

const YAML_FILE = /\.ya?ml$/;
// Listings are kept per tree id so a commit re-lists only the trees on its changed path.
const MAX_CACHED_ENTRIES = 400_000;

export interface TreeLister {
  /** Every YAML file below `dir` of a root tree, with its blob id; paths from the repo root. */
  list(rootTree: string, dir: string): Promise<SnapshotFile[]>;
}

export function createTreeLister(ctx: GitContext): TreeLister {
  const byTree = new Map<string, SnapshotFile[]>();
  let cached = 0;

  async function listTree(oid: string): Promise<SnapshotFile[]> {
    const hit = byTree.get(oid);
    if (hit) return hit;
    const tree = await readTreeEntries(ctx, oid);
    const parts = await Promise.all(
      tree.map(async (e): Promise<SnapshotFile[]> => {
        if (e.type === 'tree') return (await listTree(e.oid)).map((f) => ({ path: `${e.path}/${f.path}`, oid: f.oid }));
        return e.type === 'blob' && YAML_FILE.test(e.path) ? [{ path: e.path, oid: e.oid }] : [];
      }),
    );
    const files = parts.flat();
    if (cached + files.length > MAX_CACHED_ENTRIES) {
      byTree.clear();
      cached = 0;
    }
    byTree.set(oid, files);
    cached += files.length;
    return files;
  }

  return {
    async list(rootTree, dir) {
      const sub = dir ? await subtree(ctx, rootTree, dir) : rootTree;
      if (!sub) return [];
      const prefix = dir ? `${dir}/` : '';
      const files = await listTree(sub);
      return prefix ? files.map((f) => ({ path: prefix + f.path, oid: f.oid })) : files;
    },
  };
}

/** The tree or blob id at `path` below a tree, or undefined. */
export async function entryAt(ctx: GitContext, tree: string, path: string): Promise<{ oid: string; type: string; mode: string } | undefined> {
  let cur: { oid: string; type: string; mode: string } | undefined = { oid: tree, type: 'tree', mode: '040000' };
  for (const name of path.split('/').filter(Boolean)) {
    if (!cur || cur.type !== 'tree') return undefined;
    const entries = await readTreeEntries(ctx, cur.oid);
    cur = entries.find((e) => e.path === name);
  }
  return cur;
}

async function subtree(ctx: GitContext, tree: string, dir: string): Promise<string | undefined> {
  const e = await entryAt(ctx, tree, dir);
  return e?.type === 'tree' ? e.oid : undefined;
}

/**
 * Writes the trees on the paths of `changes` (path -> new blob id, or null to remove) and returns the
 * new root tree id. Every other tree is reused as is: no index, no walk of the whole repository.
 */
export async function rewriteTree(ctx: GitContext, tree: string | undefined, changes: ReadonlyMap<string, string | null>): Promise<string> {
  return (await rewrite(ctx, tree, changes, '')) ?? (await writeTreeEntries(ctx, []));
}

/** A write that would replace a directory by a file, or a file (or submodule) by a directory, loses what was there. */
function clash(path: string, what: string): ConflictError {
  return new ConflictError(`${path} is ${what} in the repository: writing there would replace it`, {
    details: [{ code: 'PATH_CONFLICT', message: `${path} is ${what}`, field: 'path' }],
  });
}

async function rewrite(ctx: GitContext, tree: string | undefined, changes: ReadonlyMap<string, string | null>, prefix: string): Promise<string | undefined> {
  const entries = tree ? [...(await readTreeEntries(ctx, tree))] : [];
  const nested = new Map<string, Map<string, string | null>>();
  for (const [path, oid] of changes) {
    const slash = path.indexOf('/');
    if (slash < 0) {
      const at = entries.findIndex((e) => e.path === path);
      if (at >= 0 && entries[at]!.type !== 'blob') throw clash(prefix + path, entries[at]!.type === 'tree' ? 'a directory' : 'a submodule');
      if (at >= 0 && entries[at]!.mode === '120000') throw clash(prefix + path, 'a symbolic link');
      const mode = at >= 0 ? entries[at]!.mode : '100644';
      if (at >= 0) entries.splice(at, 1);
      if (oid) entries.push({ mode, path, oid, type: 'blob' });
      continue;
    }
    const [head, rest] = [path.slice(0, slash), path.slice(slash + 1)];
    if (!nested.has(head)) nested.set(head, new Map());
    nested.get(head)!.set(rest, oid);
  }
  for (const [name, sub] of nested) {
    const at = entries.findIndex((e) => e.path === name);
    if (at >= 0 && entries[at]!.type !== 'tree') throw clash(prefix + name, entries[at]!.type === 'blob' ? 'a file' : 'a submodule');
    const old = at >= 0 ? entries[at]!.oid : undefined;
    const next = await rewrite(ctx, old, sub, `${prefix}${name}/`);
    if (at >= 0) entries.splice(at, 1);
    if (next) entries.push({ mode: '040000', path: name, oid: next, type: 'tree' });
  }
  return entries.length ? writeTreeEntries(ctx, entries) : undefined;
}
