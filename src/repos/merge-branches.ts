import { ConflictError } from '../errors/index.ts';
import { mergeCommit, withGitdirLock, type MergeCommitResult, type MergeMethod } from '../writeback/index.ts';
import type { RepoGit } from './git-storage.ts';

export interface MergeRequest {
  source: string;
  target: string;
  method: MergeMethod;
  message: string;
  author: { name: string; email: string };
}

export interface MergeOutcome {
  /** The commit the target branch points to now. */
  commit: string;
  kind: MergeCommitResult['kind'];
  /** The source and target heads that were merged. */
  sourceCommit: string;
  targetCommit: string;
}

const ATTEMPTS = 5;

async function head(repo: RepoGit, branch: string, role: string) {
  const found = await repo.branchRef(branch);
  if (!found) throw new ConflictError(`the ${role} branch ${branch} does not exist in the repository (${repo.where})`, { details: [{ code: 'BRANCH_NOT_FOUND', message: `no branch ${branch}`, field: role === 'source' ? 'sourceRef' : 'targetRef' }] });
  return found;
}

/**
 * Merges `source` into `target` in the repository and moves `target` by compare-and-swap (or a push a
 * remote accepts only as a fast-forward of what was fetched); when it moved meanwhile, the merge is redone
 * on the new head. Conflicts throw before anything moves.
 */
export async function mergeBranches(repo: RepoGit, req: MergeRequest): Promise<MergeOutcome> {
  return withGitdirLock(repo.ctx.gitdir, async () => {
    for (let i = 0; i < ATTEMPTS; i++) {
      const target = await head(repo, req.target, 'target');
      const source = await head(repo, req.source, 'source');
      const out = await mergeCommit(repo.ctx, { ours: target.ref, theirs: source.ref, method: req.method, message: req.message, author: req.author });
      if (await repo.publish(req.target, target.oid, out.commit)) {
        return { commit: out.commit, kind: out.kind, sourceCommit: source.oid, targetCommit: target.oid };
      }
    }
    throw new ConflictError(`branch ${req.target} kept moving: the merge was not published after ${ATTEMPTS} attempts`);
  });
}
