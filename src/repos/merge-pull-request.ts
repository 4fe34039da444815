import { ConflictError, NotFoundError, ValidationError } from '../errors/index.ts';
import { tenantNamespace, type Resource } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store, StoredResource } from '../store/types.ts';
import { MERGE_METHODS, type MergeMethod } from '../writeback/index.ts';
import type { RepoStorage } from './git-storage.ts';
import { mergeBranches } from './merge-branches.ts';
import { mergeGate } from './merge-gate.ts';

export interface PullRequestMergerDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  /** Absent: no Repository can be merged into (every merge is a 409). */
  storage?: RepoStorage;
  clock?: () => Date;
}

export interface MergeOptions {
  /** Merge options of spec §2.1 #21: `method` merge (default) or squash, optional commit `message`. */
  options: Record<string, unknown>;
  actor: { name: string; email: string };
}

export interface PullRequestMerger {
  /** Gates, merges in Git, then records the merge commit on the PullRequest (phase Merged). */
  merge(org: string, name: string, opts: MergeOptions): Promise<StoredResource>;
}

const RECORD_TRIES = 5;
const branchName = (ref: unknown) => String(ref ?? '').replace(/^refs\/heads\//, '');

function methodOf(options: Record<string, unknown>): MergeMethod {
  const m = options.method ?? options.mergeMethod ?? 'merge';
  if (typeof m === 'string' && (MERGE_METHODS as readonly string[]).includes(m)) return m as MergeMethod;
  throw new ValidationError(`merge method must be one of ${MERGE_METHODS.join(', ')}`, { details: [{ code: 'INVALID_VALUE', message: `unknown merge method ${JSON.stringify(m)}`, field: 'method' }] });
}

function refusal(message: string, code: string): ConflictError {
  return new ConflictError(message, { details: [{ code, message }] });
}

/** A PullRequest is Merged only after its source was merged into its target in the Repository's Git storage. */
export function createPullRequestMerger(deps: PullRequestMergerDeps): PullRequestMerger {
  const now = () => (deps.clock?.() ?? new Date()).toISOString();

  async function load(org: string, name: string): Promise<StoredResource> {
    const pr = await deps.store.resources.get('PullRequest', tenantNamespace(org), name);
    if (!pr) throw new NotFoundError(`PullRequest ${name} not found in org ${org}`);
    return pr;
  }

  async function gate(org: string, pr: StoredResource): Promise<void> {
    const phase = String(pr.status.phase ?? 'Open');
    if (phase !== 'Open') throw new ConflictError(`PullRequest ${pr.metadata.name} is ${phase === 'Merged' ? 'already merged' : phase}`);
    const reviews = await deps.store.resources.list('Review', { namespace: tenantNamespace(org), labelSelector: `kradle.a5c.ai/pull-request=${pr.metadata.name}`, limit: 1000 });
    const missing = mergeGate(deps.desired()?.byOrg(org) ?? [], pr, reviews.items);
    if (missing.length) throw new ConflictError(`PullRequest ${pr.metadata.name} cannot merge yet`, { details: missing });
  }

  /** The merge happened: record it even when the record changed meanwhile (a check or review landing). */
  async function record(org: string, name: string, patch: Record<string, unknown>, actor: string): Promise<StoredResource> {
    for (let i = 0; ; i++) {
      const pr = await load(org, name);
      try {
        return await deps.store.resources.updateStatus({ ...pr, status: { ...pr.status, ...patch } } as Resource, { actor });
      } catch (err) {
        if (!(err instanceof ConflictError) || i + 1 >= RECORD_TRIES) throw err;
      }
    }
  }

  return {
    async merge(org, name, { options, actor }) {
      const pr = await load(org, name);
      const method = methodOf(options);
      await gate(org, pr);
      const repoName = typeof pr.spec.repository === 'string' ? pr.spec.repository : String((pr.spec.repository as { name?: unknown })?.name ?? '');
      const repo = deps.desired()?.get('Repository', org, repoName);
      if (!repo) throw refusal(`Repository ${repoName} is not declared in org ${org}: there is nothing to merge in`, 'REPOSITORY_NOT_FOUND');
      const git = await deps.storage?.open({ org, name: repoName, spec: repo.object.spec });
      if (!git) throw refusal(`Repository ${org}/${repoName} has no Git storage (spec.git.url): the pull request cannot be merged`, 'NO_GIT_STORAGE');
      const source = branchName(pr.spec.sourceRef);
      if (!source) throw new ValidationError(`PullRequest ${name} names no sourceRef to merge`, { details: [{ code: 'REQUIRED', message: 'spec.sourceRef is required to merge', field: 'spec.sourceRef' }] });
      const target = branchName(pr.spec.targetRef ?? repo.object.spec.defaultBranch ?? 'main');
      const title = String(pr.spec.title ?? name);
      const message = typeof options.message === 'string' && options.message.trim()
        ? options.message
        : `${method === 'squash' ? title : `Merge pull request ${name} from ${source}`}\n\n${method === 'squash' ? `Squashed pull request ${name} from ${source}` : title}`;
      const outcome = await mergeBranches(git, { source, target, method, message, author: actor });
      return record(org, name, {
        phase: 'Merged', mergeCommit: outcome.commit, mergeMethod: outcome.kind, sourceCommit: outcome.sourceCommit,
        targetCommit: outcome.targetCommit, mergedBy: actor.name, mergedAt: now(),
      }, actor.name);
    },
  };
}
