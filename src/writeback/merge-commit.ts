import git from 'isomorphic-git';
import { ConflictError } from '../errors/index.ts';
import { commitIdent } from './git-ident.ts';
import type { GitContext } from './git-tree.ts';

export const MERGE_METHODS = ['merge', 'squash'] as const;
/** `merge`: fast-forward when possible, else a merge commit. `squash`: one new commit on the target. */
export type MergeMethod = (typeof MERGE_METHODS)[number];

export interface MergeCommitInput {
  /** Full refs (or commit ids) of the target (ours) and the source (theirs). */
  ours: string;
  theirs: string;
  method: MergeMethod;
  message: string;
  author: { name: string; email: string };
}

export interface MergeCommitResult {
  /** What the target branch should point to next. */
  commit: string;
  kind: 'fast-forward' | 'merge-commit' | 'squash';
}

interface MergeErrorData {
  filepaths?: string[];
  bothModified?: string[];
  deleteByUs?: string[];
  deleteByTheirs?: string[];
}

function conflictOf(data: MergeErrorData): ConflictError {
  const why = (p: string) => (data.deleteByUs?.includes(p) ? 'deleted on the target, changed on the source'
    : data.deleteByTheirs?.includes(p) ? 'deleted on the source, changed on the target' : 'changed on both sides');
  const paths = data.filepaths ?? [];
  return new ConflictError(`the merge conflicts in ${paths.length} path${paths.length === 1 ? '' : 's'}: ${paths.join(', ')}`, {
    // `path` in a detail means a config repo file (the API hides other orgs' ones): the Repository's path goes in `field`.
    details: paths.map((p) => ({ code: 'MERGE_CONFLICT', message: `${p}: ${why(p)}`, field: p })),
  });
}

/**
 * Computes the commit a merge of `theirs` into `ours` produces, without moving any ref: the caller publishes
 * it with a compare-and-swap (or a push). A conflict, an unrelated history or a source already contained in
 * the target is a ConflictError, and nothing is written that a ref points to.
 */
export async function mergeCommit(ctx: GitContext, input: MergeCommitInput): Promise<MergeCommitResult> {
  const who = commitIdent(input.author);
  const message = input.message.endsWith('\n') ? input.message : `${input.message}\n`;
  let result: Awaited<ReturnType<typeof git.merge>>;
  try {
    result = await git.merge({
      fs: ctx.fs, cache: ctx.cache, gitdir: ctx.gitdir, ours: input.ours, theirs: input.theirs,
      fastForward: true, noUpdateBranch: true, abortOnConflict: true, message, author: who, committer: who,
    });
  } catch (err) {
    const e = err as { code?: string; data?: MergeErrorData };
    if (e.code === 'MergeConflictError') throw conflictOf(e.data ?? {});
    if (e.code === 'MergeNotSupportedError') {
      throw new ConflictError('the branches have no single merge base (unrelated or criss-cross histories): merge them by hand', { details: [{ code: 'MERGE_NOT_SUPPORTED', message: 'no single merge base' }] });
    }
    throw err;
  }
  if (result.alreadyMerged) {
    throw new ConflictError('nothing to merge: the target already contains the source', { details: [{ code: 'NOTHING_TO_MERGE', message: 'the source is an ancestor of the target' }] });
  }
  if (input.method === 'merge') return { commit: result.oid!, kind: result.fastForward ? 'fast-forward' : 'merge-commit' };
  const tree = result.tree ?? (await git.readCommit({ ...ctx, oid: result.oid! })).commit.tree;
  const parent = await git.resolveRef({ fs: ctx.fs, gitdir: ctx.gitdir, ref: input.ours });
  const commit = await git.writeCommit({ ...ctx, commit: { message, tree, parent: [parent], author: who, committer: who } });
  return { commit, kind: 'squash' };
}
