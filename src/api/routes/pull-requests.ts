import { NotFoundError } from '../../errors/index.ts';
import { normalizeName, tenantNamespace, type Resource } from '../../kinds/index.ts';
import { createPullRequestMerger } from '../../repos/index.ts';
import type { StoredResource } from '../../store/types.ts';
import { readJson, requireString } from '../body.ts';
import type { RouteDef } from '../context.ts';
import type { ApiDeps } from '../deps.ts';
import type { ResourceService } from '../resource-service.ts';
import { actorOf } from './helpers.ts';

function asDoc(kind: string, body: Record<string, unknown>, name: string): Record<string, unknown> {
  if (body.kind) return body;
  const { name: _n, ...spec } = body;
  return { kind, metadata: { name }, spec };
}

/** Pull requests, reviews, check completion and gated merge (spec §2.1 #18–21); records live in the store. */
export function pullRequestRoutes(deps: ApiDeps, svc: ResourceService): RouteDef[] {
  const { store } = deps;
  const now = () => (deps.clock?.now() ?? new Date()).toISOString();
  const merger = createPullRequestMerger({ store, desired: deps.config.current, storage: deps.repoStorage, clock: deps.clock && (() => deps.clock!.now()) });

  async function loadPr(org: string, name: string): Promise<StoredResource> {
    const pr = await store.resources.get('PullRequest', tenantNamespace(org), name);
    if (!pr) throw new NotFoundError(`PullRequest ${name} not found in org ${org}`);
    return pr;
  }

  async function setStatus(pr: StoredResource, patch: Record<string, unknown>, actor: string): Promise<StoredResource> {
    return store.resources.updateStatus({ ...pr, status: { ...pr.status, ...patch } } as Resource, { actor });
  }

  return [
    {
      method: 'POST', path: '/api/orgs/:org/pullrequests', auth: 'org-write',
      summary: 'Open a pull request ({name, repository, title, sourceRef, targetRef} or a PullRequest document)',
      async handler(ctx) {
        const body = await readJson(ctx);
        const name = body.kind ? '' : requireString(body, 'name');
        const { resource } = await svc.apply(ctx.params.org!, asDoc('PullRequest', body, name), { actor: actorOf(ctx), kind: 'PullRequest' });
        const opened = await setStatus(resource as StoredResource, { phase: 'Open', checks: {}, openedAt: now() }, actorOf(ctx).subject);
        ctx.status = 201;
        ctx.body = opened;
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/pullrequests/:pr/reviews', auth: 'org-write',
      summary: 'Add a review ({state: approved|commented|changes-requested, body}); the reviewer is the token subject',
      async handler(ctx) {
        const org = ctx.params.org!;
        const pr = await loadPr(org, ctx.params.pr!);
        const body = await readJson(ctx);
        const reviewer = actorOf(ctx).subject;
        const name = `${pr.metadata.name}-review-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
        const spec = { pullRequest: pr.metadata.name, state: requireString(body, 'state'), reviewer, body: body.body ?? '' };
        const { resource } = await svc.apply(org, { kind: 'Review', metadata: { name, labels: { 'kradle.a5c.ai/pull-request': pr.metadata.name } }, spec }, { actor: actorOf(ctx), kind: 'Review' });
        ctx.status = 201;
        ctx.body = resource;
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/pullrequests/:pr/checks/complete', auth: 'org-write',
      summary: 'Record a completed check ({name, conclusion: success|failure|...}) on a pull request',
      async handler(ctx) {
        const pr = await loadPr(ctx.params.org!, ctx.params.pr!);
        const body = await readJson(ctx);
        const check = requireString(body, 'name');
        const conclusion = requireString(body, 'conclusion');
        const checks = { ...((pr.status.checks as Record<string, unknown>) ?? {}), [check]: { conclusion, completedAt: now() } };
        ctx.body = await setStatus(pr, { checks }, actorOf(ctx).subject);
      },
    },
    {
      method: 'POST', path: '/api/orgs/:org/pullrequests/:pr/merge', auth: 'org-write',
      summary: 'Merge ({method: merge|squash, message?}) when BranchProtection is satisfied: a Git merge (fast-forward, merge commit or squash) in the Repository\'s storage, recorded as mergeCommit; 409 listing missing approvals and checks, conflicting paths, or a Repository without Git storage',
      async handler(ctx) {
        const org = ctx.params.org!;
        const options = await readJson(ctx);
        const subject = actorOf(ctx).subject;
        const merged = await merger.merge(org, ctx.params.pr!, { options, actor: { name: subject, email: `${normalizeName(subject)}@users.kradle.invalid` } });
        await svc.audit(org, actorOf(ctx), 'merge', 'PullRequest', merged.metadata.name, 'Merged');
        ctx.body = merged;
      },
    },
  ];
}
