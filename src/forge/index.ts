// forge/ posts what Kradle found to a forge's pull request (commit status, one comment kept up to date).
// It must not compute previews (plan/ does) nor hold credentials anywhere but in the client it is given.
export { createForgeClient, type ForgeClient, type ForgeKind, type CommitState } from './client.ts';
export { parsePullRequestUrl, type PullRequestTarget } from './pr-url.ts';
export { postPreview, type PostedPreview } from './post-preview.ts';
export { createPullRequestPreviews, type PullRequestPreviews } from './pull-request-event.ts';
