import { readFile } from 'node:fs/promises';
import { objectStoreOf } from './context-store.ts';
import type { GitContext } from './objects.ts';

/**
 * The common case of resolving a revision (a branch, tag, full ref name, HEAD or full commit id, as the
 * repository's files and the shared object reader say) without isomorphic-git, whose loading and own pack reading
 * are a good part of a command's start-up. Anything unusual answers undefined, and the caller resolves the
 * revision as before, with every error it gives: this path only ever agrees with isomorphic-git's answer.
 */

// The places isomorphic-git (GitRefManager.resolve) looks for a name, in its order, and the files it never reads as refs.
const refPaths = (ref: string) => [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`, `refs/remotes/${ref}`, `refs/remotes/${ref}/HEAD`];
const NOT_REFS = new Set(['config', 'description', 'index', 'shallow', 'commondir']);
const FULL_OID = /^[0-9a-f]{40}$/;
// Only plain names: `..` or an absolute path must not read outside the git directory.
const SAFE = /^(?!.*(?:^|\/)\.\.?(?:\/|$))[A-Za-z0-9._/-]+$/;
const MAX_LINKS = 5;

/** A ref file's text; undefined when there is none (or a directory stands there), as isomorphic-git reads it. */
async function refFile(gitdir: string, ref: string): Promise<string | undefined> {
  try {
    return await readFile(`${gitdir}/${ref}`, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function parsePackedRefs(text: string | undefined): Map<string, string> {
  const refs = new Map<string, string>();
  for (const line of (text ?? '').trim().split('\n')) {
    if (/^\s*#/.test(line) || line.startsWith('^')) continue;
    const i = line.indexOf(' ');
    refs.set(line.slice(i + 1), line.slice(0, i));
  }
  return refs;
}

/** The object id a name leads to through ref files, packed-refs and symbolic refs. */
async function refTarget(gitdir: string, name: string): Promise<string | undefined> {
  let packed: Map<string, string> | undefined;
  let ref = name;
  for (let links = 0; links <= MAX_LINKS; links++) {
    if (FULL_OID.test(ref)) return ref;
    if (!SAFE.test(ref)) return undefined;
    let value: string | undefined;
    for (const path of refPaths(ref)) {
      if (NOT_REFS.has(path)) continue;
      value = (await refFile(gitdir, path)) || (packed ??= parsePackedRefs(await refFile(gitdir, 'packed-refs'))).get(path);
      if (value) break;
    }
    value = value?.trim();
    if (!value) return undefined;
    ref = value.startsWith('ref: ') ? value.slice(5) : value;
    if (!FULL_OID.test(ref) && !value.startsWith('ref: ')) return undefined;
  }
  return undefined;
}

/** The commit an object id peels to (through annotated tags), read by the shared object reader. */
async function peeled(ctx: GitContext, oid: string): Promise<string | undefined> {
  const store = objectStoreOf(ctx);
  for (let id = oid, depth = 0; depth < 8; depth++) {
    const obj = await store.read(id);
    if (obj?.type === 'commit') return id;
    if (obj?.type !== 'tag') return undefined;
    const next = /^object ([0-9a-f]{40})\n/.exec(obj.data.toString('latin1', 0, Math.min(obj.data.length, 100)));
    if (!next) return undefined;
    id = next[1]!;
  }
  return undefined;
}

/** The commit `name` names, or undefined: then resolve it the full way. */
export async function resolveCommitFast(ctx: GitContext, name: string): Promise<string | undefined> {
  try {
    const oid = await refTarget(ctx.gitdir, name);
    return oid === undefined ? undefined : await peeled(ctx, oid);
  } catch {
    return undefined;
  }
}
