import type { Logger } from 'pino';
import { sanitize } from '../errors/index.ts';
import { previewMarkdown, type Preview } from '../plan/index.ts';
import { createForgeClient, type ForgeKind } from './client.ts';
import { postPreview } from './post-preview.ts';
import type { PullRequestTarget } from './pr-url.ts';

/** The actions after which the pull request's head changed: GitHub's names and Gitea's. */
const PREVIEWED_ACTIONS = new Set(['opened', 'reopened', 'synchronize', 'synchronized']);

export interface PullRequestPreviews {
  /** Reads a pull_request webhook; previews and posts in the background. Says why when it does nothing. */
  handle(payload: unknown, forge: ForgeKind, delivery: string): { previewing: boolean; reason?: string; fork?: boolean };
}

export interface PullRequestPreviewDeps {
  preview(base: string, head: string): Promise<Preview>;
  /** The forge token (KRADLE_FORGE_TOKEN, set from a Secret in the Deployment); never logged. */
  token?: string;
  /** API root overriding the one the payload names (a proxy, a test server). */
  api?: string;
  logger: Logger;
}

interface Parsed {
  target: PullRequestTarget;
  headSha: string;
  base: string;
  fork: boolean;
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The fields previews need, from GitHub's and Gitea's payloads (the same shape where it matters). */
function parse(payload: unknown, forge: ForgeKind, api?: string): Parsed | string {
  const p = obj(payload);
  const pr = obj(p.pull_request);
  const repo = obj(p.repository);
  const full = str(repo.full_name);
  const headSha = str(obj(pr.head).sha);
  const base = str(obj(pr.base).ref);
  const number = Number(p.number ?? pr.number);
  const repoApi = str(repo.url);
  const web = str(repo.html_url);
  if (!full || !headSha || !base || !Number.isSafeInteger(number) || !web) return 'the payload lacks the pull request, its head sha, base ref or repository';
  if (!/^[0-9a-f]{40}$/.test(headSha)) return 'the head sha is not a commit id';
  const [owner, name] = full.split('/') as [string, string];
  // The repository's API address ends in /repos/<owner>/<repo>; what precedes it is the API root.
  const root = api ?? (repoApi?.endsWith(`/repos/${full}`) ? repoApi.slice(0, -`/repos/${full}`.length) : undefined);
  if (!root) return 'the payload names no API address for the repository';
  const headRepo = str(obj(obj(pr.head).repo).full_name);
  return { target: { forge, api: root, owner, repo: name, number, web }, headSha, base, fork: headRepo !== undefined && headRepo !== full };
}

/**
 * Pull-request webhooks of the config repo: the head is validated and planned against the base (nothing is
 * applied, and nothing else of a fork's runs), then a commit status and Kradle's one comment are posted.
 */
export function createPullRequestPreviews(deps: PullRequestPreviewDeps): PullRequestPreviews {
  async function previewAndPost(p: Parsed, delivery: string): Promise<void> {
    const client = createForgeClient({ api: p.target.api, forge: p.target.forge, token: deps.token! });
    const preview = await deps.preview(p.base, p.headSha);
    const link = p.target.forge === 'gitea' ? 'src/commit' : 'blob';
    const markdown = previewMarkdown(preview, { fileUrl: (path, line) => `${p.target.web}/${link}/${p.headSha}/${path}#L${line}` });
    const posted = await postPreview(client, p.target, p.headSha, preview, markdown);
    deps.logger.info({ delivery, pullRequest: p.target.number, head: p.headSha, state: posted.state, comment: posted.commentId, updated: posted.updated }, 'pull request preview posted');
  }

  return {
    handle(payload, forge, delivery) {
      const action = str(obj(payload).action);
      if (!action || !PREVIEWED_ACTIONS.has(action)) return { previewing: false, reason: `action ${JSON.stringify(action ?? null)} does not change the head` };
      if (!deps.token) return { previewing: false, reason: 'no forge token is configured (KRADLE_FORGE_TOKEN)' };
      const parsed = parse(payload, forge, deps.api);
      if (typeof parsed === 'string') return { previewing: false, reason: parsed };
      void previewAndPost(parsed, delivery).catch((err: unknown) =>
        deps.logger.warn({ delivery, pullRequest: parsed.target.number, error: sanitize(err instanceof Error ? err.message : String(err)) }, 'pull request preview failed'));
      return { previewing: true, fork: parsed.fork };
    },
  };
}
