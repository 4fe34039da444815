// writeback/ owns turning a write to a config kind into a Git commit: YAML edits that keep comments and
// key order, commits without the index, ref compare-and-swap, push with retry. It must not load or apply.
export * from './types.ts';
export { applyEdit, documentFor, editIdentity, fileIdentities } from './yaml-edit.ts';
export { conventionalPath, identityKey, identityOfObject, type ResourceIdentity } from './identity.ts';
export { createConfigWriter } from './writer.ts';
export { pushCommit, type PushOutcome, type RemoteTarget } from './remote.ts';
export { ensureRepo, fetchBranch, remoteTarget } from './remote.ts';
export { compareAndSwapRef, readRef } from './ref-cas.ts';
export { checkRefName } from './ref-name.ts';
export { withGitdirLock } from './mutex.ts';
export { cleanRemoteUrl, secretAuth, type RemoteRepoOwner, type SecretReader } from './secret-auth.ts';
export type { GitContext } from './git-tree.ts';
export { mergeCommit, MERGE_METHODS, type MergeMethod, type MergeCommitResult } from './merge-commit.ts';
