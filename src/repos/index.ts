// repos/ owns what Kradle does to a Repository's own Git data: where it lives (a local path or a smart-HTTP remote)
// and merging pull requests there behind BranchProtection. It must not touch the config repo or decide HTTP shapes.
export { mergeGate } from './merge-gate.ts';
export { createRepoStorage, type RepoGit, type RepoStorage, type RepoStorageOptions } from './git-storage.ts';
export { mergeBranches, type MergeOutcome, type MergeRequest } from './merge-branches.ts';
export { createPullRequestMerger, type PullRequestMerger } from './merge-pull-request.ts';
