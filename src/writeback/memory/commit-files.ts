import fs from 'node:fs';
import git from 'isomorphic-git';
import { ConflictError } from '../../errors/index.ts';
import { atomicFs } from '../atomic-fs.ts';
import { commitIdent } from '../git-ident.ts';
import { rewriteTree } from '../git-tree.ts';
import { compareAndSwapRef, readRef } from '../ref-cas.ts';
import { checkRefName } from '../ref-name.ts';
import { resolveMemoryRef } from './read-files.ts';

export interface MemoryCommitInput {
  gitdir: string;
  /** Branch to commit on, e.g. `kradle/agent-memory/<run>`; created from `baseRef` when absent. */
  branch: string;
  /** Branch or commit the new branch starts from (the repository's default branch). */
  baseRef: string;
  files: readonly { path: string; content: string }[];
  message: string;
  author: { name: string; email: string; timestamp?: number };
}

export interface MemoryCommitResult {
  commit: string;
  /** The default-branch commit the change is based on. */
  baseCommit: string;
  /** The commit the new one was written on top of (the branch tip, or baseCommit for a new branch). */
  parent: string;
  /** False when the files already had this content at the tip: no commit was made. */
  changed: boolean;
}

const CAS_TRIES = 5;

/**
 * Writes the blobs, rewrites only the trees on the changed paths, writes the commit and moves the branch
 * with a compare-and-swap (git's lock protocol); a concurrent writer makes it redo the tree on the new tip.
 */
export async function commitMemoryFiles(input: MemoryCommitInput): Promise<MemoryCommitResult> {
  const cache = {};
  const ctx = { fs: atomicFs, gitdir: input.gitdir, cache };
  const ref = checkRefName(`refs/heads/${input.branch}`, 'branch');
  const baseCommit = await resolveMemoryRef(input.gitdir, input.baseRef);
  const blobs = new Map<string, string>();
  for (const f of input.files) {
    blobs.set(f.path, await git.writeBlob({ fs: atomicFs, gitdir: input.gitdir, blob: Buffer.from(f.content, 'utf8') }));
  }
  for (let i = 0; i < CAS_TRIES; i++) {
    const tip = await readRef(fs, input.gitdir, ref);
    const parent = tip ?? baseCommit;
    const { commit: parentCommit } = await git.readCommit({ ...ctx, oid: parent });
    const tree = await rewriteTree(ctx, parentCommit.tree, blobs);
    if (tree === parentCommit.tree && tip) return { commit: tip, baseCommit, parent, changed: false };
    const who = commitIdent(input.author);
    const commit = await git.writeCommit({
      ...ctx,
      commit: { message: input.message.endsWith('\n') ? input.message : `${input.message}\n`, tree, parent: [parent], author: who, committer: who },
    });
    if (await compareAndSwapRef(fs, input.gitdir, ref, tip, commit)) return { commit, baseCommit, parent, changed: true };
  }
  throw new ConflictError(`branch ${input.branch} kept moving: gave up after ${CAS_TRIES} tries`);
}
