import fs from 'node:fs';
import { join } from 'node:path';
import { KradleError, NotFoundError } from '../errors/index.ts';
import { indexProblem } from './pack-file.ts';
import { joinPath, normalizeDir } from './paths.ts';

/**
 * isomorphic-git, loaded when first needed: reading a local revision goes through the faster readers of this folder
 * (object-store.ts, fast-resolve.ts), and loading it is ~80 ms of a command's start-up.
 */
export const isoGit = () => import('isomorphic-git').then((m) => m.default);

/** One git directory and the cache object that every isomorphic-git call on it shares. */
export interface GitContext {
  gitdir: string;
  // isomorphic-git keeps parsed pack indexes here; without it a packed read costs ~4.5 ms per object.
  cache: object;
}

export interface TreeEntry {
  mode: string;
  path: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** Reads one tree object by id (a commit or tag id peels to its root tree). */
export async function readTreeEntries(ctx: GitContext, oid: string): Promise<{ oid: string; tree: TreeEntry[] }> {
  try {
    const { oid: treeOid, tree } = await (await isoGit()).readTree({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
    return { oid: treeOid, tree: tree as TreeEntry[] };
  } catch (err) {
    throw objectError(ctx, 'tree', oid, err);
  }
}

/**
 * A missing object (a shallow clone not deepened, a partial clone, a pruned repo) or a corrupt one (a bad zlib
 * stream, a truncated pack): either way the revision cannot be read, and the message says which object and why.
 */
export function objectError(ctx: GitContext, what: string, oid: string, err: unknown): KradleError {
  if (err instanceof KradleError) return err;
  if ((err as { code?: unknown })?.code === 'NotFoundError') {
    return new NotFoundError(`${what} ${oid} not found in the config repository${missingObjectHint(ctx.gitdir)}`, { cause: err });
  }
  // A damaged pack index fails isomorphic-git with a JavaScript error (a bad offset, a property of undefined)
  // that names nothing: the index is named instead.
  const pack = packProblem(ctx.gitdir);
  if (pack && !pack.missing) {
    return repoCorrupt(`${what} ${oid} in the config repository cannot be read: ${pack.text}`, err);
  }
  return corruptObjectError(what, oid, err);
}

const PACK_SIGNATURE = Buffer.from('PACK');

/** The first pack of a git directory without a sound index, said with how to rebuild it; read on an error only. */
function packProblem(gitdir: string): { missing: boolean; text: string } | undefined {
  const dir = join(gitdir, 'objects', 'pack');
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.pack')).sort();
  } catch {
    return undefined;
  }
  for (const pack of names) {
    const idx = pack.replace(/\.pack$/, '.idx');
    const rebuild = `rebuild it with git index-pack ${join(dir, pack)}`;
    let bytes: Buffer;
    let ends: { head: Buffer; trailer: Buffer };
    try {
      bytes = fs.readFileSync(join(dir, idx));
      ends = packEnds(join(dir, pack));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') continue;
      // A pack without its index is being written by git right now, or its index was lost.
      return { missing: true, text: `pack ${pack} has no index (${rebuild} if no git command is writing it)` };
    }
    const { head, trailer } = ends;
    if (trailer.length < 20 || !head.equals(PACK_SIGNATURE)) {
      return { missing: false, text: `pack ${pack} is damaged (${trailer.length < 20 ? 'truncated' : 'no pack header'}): fetch it again or restore it, then run git fsck` };
    }
    const why = indexProblem(bytes, trailer);
    if (why !== undefined) return { missing: false, text: `pack index ${idx} is damaged (${why}): remove it and ${rebuild}` };
  }
  return undefined;
}

/** A pack's signature and its checksum (empty when the pack is shorter than a header and a checksum), read alone. */
function packEnds(path: string): { head: Buffer; trailer: Buffer } {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(4);
    const trailer = Buffer.alloc(size < 32 ? 0 : 20);
    fs.readSync(fd, head, 0, 4, 0);
    if (trailer.length) fs.readSync(fd, trailer, 0, 20, size - 20);
    return { head, trailer };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why objects may be absent (': ...'), or '': a pack without a sound index, or how the repository was made, since
 * Kradle reads the objects a git directory holds and fetches none on demand, as git does for a partial clone.
 */
export function missingObjectHint(gitdir: string): string {
  const pack = packProblem(gitdir);
  if (pack) return `: ${pack.text}`;
  if (fs.existsSync(join(gitdir, 'shallow'))) {
    return ': the repository is a shallow clone and this commit is outside its history (fetch more with git fetch --deepen or --unshallow)';
  }
  if (fs.existsSync(join(gitdir, 'objects', 'info', 'alternates'))) {
    return ': the repository borrows objects through objects/info/alternates, which Kradle does not read (clone it without --shared/--reference, or run git repack -a -d)';
  }
  let config = '';
  try {
    config = fs.readFileSync(join(gitdir, 'config'), 'utf8');
  } catch {
    // no config: not a partial clone
  }
  if (/^\s*(promisor\s*=\s*true|partialclone\s*=)/im.test(config)) {
    return ': the repository is a partial clone (--filter), whose missing objects Kradle does not fetch (fetch them with git fetch --refetch --no-filter, or clone without --filter)';
  }
  return '';
}

export function corruptObjectError(what: string, oid: string, err: unknown, where = ''): KradleError {
  // isomorphic-git wraps the real reason in several lines asking to report a bug: keep only the reason.
  const data = (err as { code?: unknown; data?: { message?: unknown } })?.data;
  const why = (err as { code?: unknown })?.code === 'InternalError' && typeof data?.message === 'string'
    ? data.message
    : err instanceof Error ? err.message : String(err);
  return repoCorrupt(`${what} ${oid}${where} in the config repository cannot be read (corrupt or truncated object: ${why}); run git fsck on it`, err);
}

function repoCorrupt(message: string, cause: unknown): KradleError {
  return new KradleError(message, { code: 'REPO_CORRUPT', status: 500, reason: 'RepositoryCorrupt', disposition: 'stalled', cause });
}

/** The tree id of `dir` in a commit, or undefined when the commit has no such directory. */
export async function subtreeOid(ctx: GitContext, commit: string, dir: string): Promise<string | undefined> {
  let { oid, tree } = await readTreeEntries(ctx, commit);
  for (const part of normalizeDir(dir).split('/').filter(Boolean)) {
    const entry = tree.find((e) => e.path === part);
    if (!entry || entry.type !== 'tree') return undefined;
    ({ oid, tree } = await readTreeEntries(ctx, entry.oid));
  }
  return oid;
}

/** Every blob below a tree, with paths prefixed by `prefix`; sibling subtrees are read in parallel. */
export async function listBlobs(
  ctx: GitContext,
  treeOid: string,
  prefix: string,
  keep: (path: string) => boolean,
): Promise<{ path: string; oid: string }[]> {
  const { tree } = await readTreeEntries(ctx, treeOid);
  const out: { path: string; oid: string }[] = [];
  const subtrees: Promise<{ path: string; oid: string }[]>[] = [];
  for (const e of tree) {
    const path = joinPath(prefix, e.path);
    if (e.type === 'tree') subtrees.push(listBlobs(ctx, e.oid, path, keep));
    else if (e.type === 'blob' && keep(path)) out.push({ path, oid: e.oid });
  }
  for (const list of await Promise.all(subtrees)) out.push(...list);
  return out;
}

export async function readBlobById(ctx: GitContext, oid: string): Promise<Uint8Array> {
  try {
    const { blob } = await (await isoGit()).readBlob({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
    return blob;
  } catch (err) {
    throw objectError(ctx, 'blob', oid, err);
  }
}
