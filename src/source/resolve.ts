import fs from 'node:fs';
import { join } from 'node:path';
import { BadRequestError, NotFoundError } from '../errors/index.ts';
import { resolveCommitFast } from './fast-resolve.ts';
import { headBranchSync } from './git-dir.ts';
import { isoGit, missingObjectHint, objectError, type GitContext } from './objects.ts';
import { refNameProblem } from './ref-format.ts';

const HEX = /^[0-9a-f]{4,40}$/i;
// `~N` and `^N` suffixes of git's revision syntax, and the peels `^{}` and `^{commit}`; a ref name may contain
// neither `~` nor `^`. Other peels (`^{tree}`, `^{/text}`) name no commit, or search: the name check refuses them.
const SUFFIXES = /^(.+?)((?:\^\{(?:commit)?\}|[~^]\d*)+)$/;

/** What an object id peels to: a commit, an object that is not one, or nothing (absent from the repository). */
type Peeled = { commit: string } | { type: string } | { missing: true };

async function peel(ctx: GitContext, oid: string): Promise<Peeled> {
  try {
    const { oid: commit } = await (await isoGit()).readCommit({ fs, gitdir: ctx.gitdir, oid, cache: ctx.cache });
    return { commit };
  } catch (err) {
    const e = err as { code?: string; data?: { actual?: string } };
    if (e.code === 'NotFoundError') return { missing: true };
    if (e.code === 'ObjectTypeError') return { type: e.data?.actual ?? 'non-commit object' };
    // Anything else is a damaged object: reporting it as "revision not found" would hide it.
    throw objectError(ctx, 'commit', oid, err);
  }
}

/** Peels an object id (commit or annotated tag) to a commit id, or undefined when it is neither or absent. */
export async function peelToCommit(ctx: GitContext, oid: string): Promise<string | undefined> {
  const p = await peel(ctx, oid);
  return 'commit' in p ? p.commit : undefined;
}

async function refOid(ctx: GitContext, ref: string): Promise<string | undefined> {
  try {
    return await (await isoGit()).resolveRef({ fs, gitdir: ctx.gitdir, ref });
  } catch {
    return undefined;
  }
}

async function expandShort(ctx: GitContext, rev: string): Promise<string | undefined> {
  if (!HEX.test(rev)) return undefined;
  if (rev.length === 40) return rev.toLowerCase();
  try {
    return await (await isoGit()).expandOid({ fs, gitdir: ctx.gitdir, oid: rev.toLowerCase(), cache: ctx.cache });
  } catch (err) {
    if ((err as { code?: string }).code === 'AmbiguousError') {
      throw new NotFoundError(`revision ${rev} is ambiguous: give more characters of the commit id`, { cause: err });
    }
    return undefined;
  }
}

function notFound(rev: string, why: string): NotFoundError {
  return new NotFoundError(`revision ${JSON.stringify(rev)} ${why}`, {
    details: [{ code: 'REVISION_NOT_FOUND', message: `unknown revision ${rev}`, field: 'ref' }],
  });
}

/** Why a name that resolves to nothing usable does: said plainly, since "not found" misleads for an existing branch. */
async function unusable(ctx: GitContext, name: string, oid: string, p: Peeled): Promise<string> {
  if ('type' in p) return `names a ${p.type} (${oid}), not a commit`;
  const hint = missingObjectHint(ctx.gitdir);
  return name === oid ? `not found: commit ${oid} is not in the config repository${hint}` : `points to commit ${oid}, which is not in the config repository${hint}`;
}

/** When nothing matched: an unborn branch (a repository without commits) and the branches there are. */
async function nothingMatched(ctx: GitContext, rev: string, head: string | undefined): Promise<string> {
  const branches = await (await isoGit()).listBranches({ fs, gitdir: ctx.gitdir }).catch(() => [] as string[]);
  let headBranch = head;
  try {
    headBranch ??= headBranchSync(ctx.gitdir);
  } catch {
    // no readable HEAD: nothing to say about it
  }
  // Only plain ref names: a revision may come from an API request, and `..` would read outside the repo.
  const safe = /^[A-Za-z0-9._/-]+$/.test(rev) && !rev.split('/').some((p) => p === '' || p === '.' || p === '..');
  for (const ref of safe ? [`refs/heads/${rev}`, `refs/tags/${rev}`, rev] : []) {
    const file = join(ctx.gitdir, ref);
    if (ref.startsWith('refs/') && fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
      const text = fs.readFileSync(file, 'utf8').trim().slice(0, 60);
      return `cannot be read: ${ref} holds ${JSON.stringify(text)}, which leads to no commit (a damaged or dangling ref; run git fsck)`;
    }
  }
  if (branches.length === 0) return 'not found: the config repository has no commits yet';
  const list = branches.slice(0, 10).join(', ') + (branches.length > 10 ? ', ...' : '');
  if ((rev === 'HEAD' || rev === headBranch) && headBranch !== 'HEAD') {
    return `not found: HEAD names branch ${headBranch}, which has no commits yet (branches: ${list})`;
  }
  return 'not found in the config repository (not a branch, tag or commit id)';
}

/**
 * Applies `~N` (N-th first-parent ancestor) and `^N` (N-th parent; ^0 the commit itself) to a commit. A peel
 * (`^{}`, `^{commit}`) leaves it as it is: a revision is peeled to its commit (an annotated tag's) when resolved.
 */
async function walkSuffixes(ctx: GitContext, rev: string, commit: string, suffixes: string): Promise<string> {
  let at = commit;
  for (const [, op, digits] of suffixes.matchAll(/\^\{(?:commit)?\}|([~^])(\d*)/g)) {
    if (op === undefined) continue;
    const n = digits === '' ? 1 : Number(digits);
    const steps = op === '~' ? n : n === 0 ? 0 : 1;
    const parentIndex = op === '~' ? 0 : n - 1;
    for (let i = 0; i < steps; i++) {
      let parents: string[];
      try {
        ({ commit: { parent: parents } } = await (await isoGit()).readCommit({ fs, gitdir: ctx.gitdir, oid: at, cache: ctx.cache }));
      } catch (err) {
        throw objectError(ctx, 'commit', at, err);
      }
      const next = parents[parentIndex];
      if (next === undefined) throw notFound(rev, `not found: commit ${at} has no ${parentIndex === 0 ? 'parent' : `parent ${parentIndex + 1}`}`);
      const p = await peel(ctx, next);
      if (!('commit' in p)) throw notFound(rev, await unusable(ctx, next, next, p));
      at = p.commit;
    }
  }
  return at;
}

/** A revision git would refuse: a bad request, not "not found" (nor a file outside the refs read as one). */
function invalid(rev: string, why: string): BadRequestError {
  const message = `revision ${JSON.stringify(rev)} is not a valid revision (${why}): give a branch, tag, full ref name, HEAD or commit id, optionally followed by ~N, ^N, ^{} or ^{commit}`;
  return new BadRequestError(message, { details: [{ code: 'INVALID_REVISION', message: `invalid revision ${JSON.stringify(rev)}: ${why}`, field: 'ref' }] });
}

/**
 * Resolves a branch, tag (lightweight or annotated), full ref name, HEAD, or a full or short commit
 * id to a full commit id, optionally followed by `~N`/`^N` and the peels `^{}`/`^{commit}`. Names win over hex-looking ids, as in
 * git. `head` is what HEAD stands for when it is not the git directory's own (a linked worktree).
 */
export async function resolveRev(ctx: GitContext, rev: string, head?: string): Promise<string> {
  const m = SUFFIXES.exec(rev);
  // Every revision a user or a request names is resolved here: its name is checked before any file is read.
  const problem = refNameProblem(m ? m[1]! : rev);
  if (problem !== undefined) throw invalid(rev, problem);
  if (m) return walkSuffixes(ctx, rev, await resolveRev(ctx, m[1]!, head), m[2]!);
  const name = rev === 'HEAD' && head !== undefined ? head : rev;
  const fast = await resolveCommitFast(ctx, name);
  if (fast !== undefined) return fast;
  const candidates = [
    () => refOid(ctx, name),
    () => expandShort(ctx, name),
  ];
  let why: string | undefined;
  for (const find of candidates) {
    const oid = await find();
    if (oid === undefined) continue;
    const p = await peel(ctx, oid);
    if ('commit' in p) return p.commit;
    why ??= await unusable(ctx, name, oid, p);
  }
  throw notFound(rev, why ?? (await nothingMatched(ctx, rev, head)));
}
