import { type GitContext, type TreeEntry, listBlobs, readTreeEntries } from './objects.ts';
import { joinPath } from './paths.ts';

const all = (): boolean => true;

/**
 * Paths of blobs that differ between two trees (added, deleted or modified), descending only into
 * subtrees whose ids differ: a one-file change reads one tree per directory level.
 */
export async function diffTrees(
  ctx: GitContext,
  fromTree: string | undefined,
  toTree: string | undefined,
  prefix: string,
): Promise<string[]> {
  if (fromTree === toTree) return [];
  if (fromTree === undefined) return (await listBlobs(ctx, toTree!, prefix, all)).map((b) => b.path);
  if (toTree === undefined) return (await listBlobs(ctx, fromTree, prefix, all)).map((b) => b.path);
  const [a, b] = await Promise.all([readTreeEntries(ctx, fromTree), readTreeEntries(ctx, toTree)]);
  const before = byName(a.tree);
  const after = byName(b.tree);
  const names = new Set([...before.keys(), ...after.keys()]);
  const parts = await Promise.all([...names].map((name) => diffEntry(ctx, before.get(name), after.get(name), joinPath(prefix, name))));
  return parts.flat();
}

function byName(entries: TreeEntry[]): Map<string, TreeEntry> {
  return new Map(entries.filter((e) => e.type !== 'commit').map((e) => [e.path, e]));
}

async function diffEntry(ctx: GitContext, a: TreeEntry | undefined, b: TreeEntry | undefined, path: string): Promise<string[]> {
  if (a && b && a.oid === b.oid && a.type === b.type) return [];
  const aTree = a?.type === 'tree' ? a.oid : undefined;
  const bTree = b?.type === 'tree' ? b.oid : undefined;
  const out: string[] = [];
  // A blob replaced by a tree (or the reverse) counts as the blob changed plus everything in the tree.
  if ((a && a.type === 'blob') || (b && b.type === 'blob')) out.push(path);
  if (aTree !== undefined || bTree !== undefined) out.push(...(await diffTrees(ctx, aTree, bTree, path)));
  return out;
}
