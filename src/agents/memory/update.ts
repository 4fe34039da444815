import { ConflictError, ValidationError, type ErrorDetail } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { StoredResource } from '../../store/types.ts';
import { commitMemoryFiles, resolveMemoryRef } from '../../writeback/memory/index.ts';
import { scanChanges } from '../redaction.ts';
import { runtimeDoc, systemClock } from '../refs.ts';
import { checkMemoryFile } from './ontology.ts';
import { memoryRepo, ontologyFor, openRepo, sha256, type MemoryDeps } from './context.ts';

export interface MemoryChange {
  path: string;
  content: string;
}

export interface ProposeUpdateInput {
  memoryRepository?: string;
  sourceRun: string;
  changes: MemoryChange[];
  author?: { name: string; email: string };
}

export const MEMORY_BRANCH_PREFIX = 'kradle/agent-memory/';

/** The digest of a change set: same files and contents in any order give the same digest. */
export function diffDigest(changes: readonly MemoryChange[]): string {
  const sorted = [...changes].sort((a, b) => (a.path < b.path ? -1 : 1));
  return sha256(JSON.stringify(sorted.map((c) => [c.path, sha256(c.content)])));
}

/** Secrets refuse the whole update: each finding names path, line, rule and the masked value. */
export function refuseSecrets(changes: readonly MemoryChange[]): void {
  const findings = scanChanges(changes);
  if (!findings.length) return;
  throw new ValidationError(`memory update refused: ${findings.length} secret-like value(s) found`, {
    details: findings.map((f) => ({ code: 'SECRET_DETECTED', message: `${f.rule}: ${f.masked}`, path: f.path, line: f.line })),
  });
}

function checkShape(input: ProposeUpdateInput): void {
  const errs: ErrorDetail[] = [];
  if (!input.sourceRun || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(input.sourceRun)) errs.push({ code: 'BAD_SOURCE_RUN', message: 'sourceRun must be a run name', field: '/sourceRun' });
  if (!Array.isArray(input.changes) || !input.changes.length) errs.push({ code: 'NO_CHANGES', message: 'changes must list at least one file', field: '/changes' });
  for (const [i, c] of (input.changes ?? []).entries()) {
    if (typeof c?.path !== 'string' || typeof c?.content !== 'string') errs.push({ code: 'BAD_CHANGE', message: 'each change needs path and content strings', field: `/changes/${i}` });
  }
  if (errs.length) throw new ValidationError('invalid memory update', { details: errs });
}

/**
 * Redaction, then ontology validation, then one commit on `kradle/agent-memory/<run>`; recorded as an
 * AgentMemoryUpdate named after the diff digest, so the same diff twice returns the first update.
 */
export async function proposeMemoryUpdate(deps: MemoryDeps, org: string, input: ProposeUpdateInput): Promise<StoredResource> {
  checkShape(input);
  refuseSecrets(input.changes);
  const digest = diffDigest(input.changes);
  const name = `mu-${digest.slice(0, 40)}`;
  const existing = await deps.store.resources.get('AgentMemoryUpdate', tenantNamespace(org), name);
  if (existing) return existing;
  const repo = await openRepo(deps, org, input.memoryRepository);
  const base = await commitBase(repo);
  const ontology = await ontologyFor(deps, repo, base);
  const errors = input.changes.flatMap((c) => checkMemoryFile(c.path, c.content, ontology));
  if (errors.length) throw new ValidationError('memory update does not fit the ontology', { details: errors });
  const spec = {
    memoryRepository: repo.name,
    sourceRun: input.sourceRun,
    changes: input.changes.map((c) => ({ path: c.path, sha256: sha256(c.content), bytes: Buffer.byteLength(c.content) })),
    diffDigest: digest,
  };
  let claimed: StoredResource;
  try {
    claimed = await deps.store.resources.create(runtimeDoc('AgentMemoryUpdate', org, name, spec, { status: { phase: 'Committing' } }));
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const first = await deps.store.resources.get('AgentMemoryUpdate', tenantNamespace(org), name);
    if (first) return first;
    throw err;
  }
  return commitClaimed(deps, repo, claimed, input);
}

function commitBase(repo: { gitdir: string; defaultBranch: string }): Promise<string> {
  return resolveMemoryRef(repo.gitdir, repo.defaultBranch);
}

async function commitClaimed(deps: MemoryDeps, repo: ReturnType<typeof memoryRepo>, claimed: StoredResource, input: ProposeUpdateInput): Promise<StoredResource> {
  const clock = deps.clock ?? systemClock;
  const branch = `${MEMORY_BRANCH_PREFIX}${input.sourceRun}`;
  try {
    const result = await commitMemoryFiles({
      gitdir: repo.gitdir,
      branch,
      baseRef: repo.defaultBranch,
      files: input.changes,
      message: `memory: ${input.changes.length} file(s) from run ${input.sourceRun}\n\nKradle-Diff-Digest: ${String(claimed.spec.diffDigest)}`,
      author: { ...(input.author ?? { name: 'Kradle Agent', email: 'agent@kradle.invalid' }), timestamp: Math.floor(clock.now().getTime() / 1000) },
    });
    await deps.publish?.(repo, branch, result.commit);
    const status = {
      phase: 'Proposed', validation: 'Passed', baseCommit: result.baseCommit, branch, commit: result.commit,
      diffDigest: claimed.spec.diffDigest, proposedAt: clock.now().toISOString(),
    };
    return await deps.store.resources.updateStatus({ ...claimed, status });
  } catch (err) {
    // The claim is released so the same diff can be proposed again once the repository is reachable.
    await deps.store.resources.delete('AgentMemoryUpdate', claimed.metadata.namespace, claimed.metadata.name).catch(() => undefined);
    throw err;
  }
}
