import { formatDetail } from '../errors/index.ts';
import { PREVIEW_MARKER, type Preview } from '../plan/index.ts';
import type { ForgeClient } from './client.ts';
import type { PullRequestTarget } from './pr-url.ts';

export interface PostedPreview {
  state: 'success' | 'failure';
  commentId: number;
  /** True when Kradle's comment already existed and was edited in place. */
  updated: boolean;
}

const STATUS_CONTEXT = 'kradle/preview';

function description(p: Preview): string {
  if (!p.valid) return `invalid: ${p.errors.length} error(s); first: ${p.errors[0] ? formatDetail(p.errors[0]) : ''}`;
  const warned = p.warnings.length ? `; ${p.warnings.length} warning(s)` : '';
  return `valid: ${p.created.length} created, ${p.changed.length} changed, ${p.deleted.length} deleted${warned}`;
}

/**
 * A commit status on the head commit (success when valid, failure with the first error), and Kradle's one
 * comment on the pull request, found by its marker and edited in place on each push.
 */
export async function postPreview(client: ForgeClient, pr: PullRequestTarget, headSha: string, preview: Preview, markdown: string): Promise<PostedPreview> {
  const state = preview.valid ? 'success' : 'failure';
  await client.setStatus(pr.owner, pr.repo, headSha, { state, description: description(preview), context: STATUS_CONTEXT });
  const mine = (await client.listComments(pr.owner, pr.repo, pr.number)).find((c) => c.body.includes(PREVIEW_MARKER));
  if (mine) {
    await client.updateComment(pr.owner, pr.repo, mine.id, markdown);
    return { state, commentId: mine.id, updated: true };
  }
  const created = await client.createComment(pr.owner, pr.repo, pr.number, markdown);
  return { state, commentId: created.id, updated: false };
}
