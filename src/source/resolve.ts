import fs from 'node:fs';
import git from 'isomorphic-git';
import { NotFoundError } from '../errors/index.ts';
import type { GitContext } from './objects.ts';

const HEX = /^[0-9a-f]{4,40}$/i;

/** Peels an object id (commit or annotated tag) to a commit id, or undefined when it is neither. */
export async function peelToCommit(ctx: GitContext, oid: string): Promise<string | undefined> {
  try {
    const { oid: commit } = await git.readCommit({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
    return commit;
  } catch {
    return undefined;
  }
}

async function refOid(ctx: GitContext, ref: string): Promise<string | undefined> {
  try {
    return await git.resolveRef({ fs, gitdir: ctx.gitdir, ref });
  } catch {
    return undefined;
  }
}

async function expandShort(ctx: GitContext, rev: string): Promise<string | undefined> {
  if (!HEX.test(rev)) return undefined;
  if (rev.length === 40) return rev.toLowerCase();
  try {
    return await git.expandOid({ fs, gitdir: ctx.gitdir, oid: rev.toLowerCase(), cache: ctx.cache });
  } catch (err) {
    if ((err as { code?: string }).code === 'AmbiguousError') {
      throw new NotFoundError(`revision ${rev} is ambiguous: give more characters of the commit id`, { cause: err });
    }
    return undefined;
  }
}

/**
 * Resolves a branch, tag (lightweight or annotated), full ref name, HEAD, or a full or short commit
 * id to a full commit id. Names win over hex-looking ids, as in git.
 */
export async function resolveRev(ctx: GitContext, rev: string): Promise<string> {
  const candidates = [
    () => refOid(ctx, rev),
    () => expandShort(ctx, rev),
  ];
  for (const find of candidates) {
    const oid = await find();
    if (oid === undefined) continue;
    const commit = await peelToCommit(ctx, oid);
    if (commit !== undefined) return commit;
  }
  throw new NotFoundError(`revision ${JSON.stringify(rev)} not found in the config repository (not a branch, tag or commit id)`, {
    details: [{ code: 'REVISION_NOT_FOUND', message: `unknown revision ${rev}`, field: 'ref' }],
  });
}
