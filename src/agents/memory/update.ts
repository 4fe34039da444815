import { ConflictError, ValidationError, type ErrorDetail } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { StoredResource } from '../../store/types.ts';
import { refNameProblem } from '../../source/index.ts';
import { commitMemoryFiles, readMemoryFiles, resolveMemoryRef } from '../../writeback/memory/index.ts';
import { scanChanges, scanText } from '../redaction.ts';
import { runtimeDoc, systemClock } from '../refs.ts';
import { checkMemoryFile } from './ontology.ts';
import { findMemoryRepo, memoryRepo, ontologyFor, openRepo, sha256, type MemoryDeps } from './context.ts';

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
/** Memory is notes and graph facts, not artifacts: bounds what one update makes the scanner and Git chew. */
const MAX_CHANGES = 200;
const MAX_FILE_BYTES = 512 * 1024;

/** The digest of a change set: same files and contents in any order give the same digest. */
export function diffDigest(changes: readonly MemoryChange[]): string {
  const sorted = [...changes].sort((a, b) => (a.path < b.path ? -1 : 1));
  return sha256(JSON.stringify(sorted.map((c) => [c.path, sha256(c.content)])));
}

/** Secrets refuse the whole update: each finding names path, line, rule and the masked value. */
export function refuseSecrets(changes: readonly MemoryChange[]): void {
  // A path becomes a tree entry name in Git, so it is scanned too; its finding names the change by index, as the
  // path itself would echo the secret.
  const inPaths: ErrorDetail[] = [];
  const secretPaths = new Set<string>();
  changes.forEach((c, i) => {
    for (const f of scanText('', c.path)) {
      secretPaths.add(c.path);
      inPaths.push({ code: 'SECRET_DETECTED', message: `${f.rule} in the file path: ${f.masked}`, field: `/changes/${i}/path` });
    }
  });
  const inContents: ErrorDetail[] = scanChanges(changes).map((f) => ({ code: 'SECRET_DETECTED', message: `${f.rule}: ${f.masked}`, ...(secretPaths.has(f.path) ? {} : { path: f.path }), line: f.line }));
  const details = [...inPaths, ...inContents];
  if (!details.length) return;
  throw new ValidationError(`memory update refused: ${details.length} secret-like value(s) found`, { details });
}

function checkShape(input: ProposeUpdateInput): void {
  const errs: ErrorDetail[] = [];
  // The run names the branch: `a..b` or `x.lock` would make a ref git refuses (`x.lock` is where git locks `x`).
  const branchProblem = typeof input.sourceRun === 'string' ? refNameProblem(`${MEMORY_BRANCH_PREFIX}${input.sourceRun}`) : undefined;
  if (!input.sourceRun || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(input.sourceRun)) errs.push({ code: 'BAD_SOURCE_RUN', message: 'sourceRun must be a run name', field: '/sourceRun' });
  else if (branchProblem) errs.push({ code: 'BAD_SOURCE_RUN', message: `sourceRun cannot name a git branch: ${branchProblem}`, field: '/sourceRun' });
  if (!Array.isArray(input.changes) || !input.changes.length) errs.push({ code: 'NO_CHANGES', message: 'changes must list at least one file', field: '/changes' });
  if (Array.isArray(input.changes) && input.changes.length > MAX_CHANGES) errs.push({ code: 'TOO_MANY_CHANGES', message: `at most ${MAX_CHANGES} files per update`, field: '/changes' });
  for (const [i, c] of (Array.isArray(input.changes) ? input.changes : []).entries()) {
    if (typeof c?.path !== 'string' || typeof c?.content !== 'string') errs.push({ code: 'BAD_CHANGE', message: 'each change needs path and content strings', field: `/changes/${i}` });
    else if (Buffer.byteLength(c.content) > MAX_FILE_BYTES) errs.push({ code: 'FILE_TOO_LARGE', message: `a memory file holds at most ${MAX_FILE_BYTES} bytes`, field: `/changes/${i}/content` });
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
  // The record is keyed by repository as well: the same diff for another repository is another commit to make.
  const name = `mu-${sha256(`${findMemoryRepo(deps, org, input.memoryRepository).name}\0${digest}`).slice(0, 40)}`;
  const existing = await deps.store.resources.get('AgentMemoryUpdate', tenantNamespace(org), name);
  if (existing && existing.status.phase !== AWAITING) return existing;
  const repo = await openRepo(deps, org, input.memoryRepository);
  const base = await commitBase(repo);
  const ontology = await ontologyFor(deps, repo, base);
  const errors = input.changes.flatMap((c) => checkMemoryFile(c.path, c.content, ontology));
  if (errors.length) throw new ValidationError('memory update does not fit the ontology', { details: errors });
  await refuseTreeConflicts(repo, `${MEMORY_BRANCH_PREFIX}${input.sourceRun}`, base, input.changes);
  const spec = {
    memoryRepository: repo.name,
    sourceRun: input.sourceRun,
    changes: input.changes.map((c) => ({ path: c.path, sha256: sha256(c.content), bytes: Buffer.byteLength(c.content) })),
    diffDigest: digest,
  };
  const gate = await deps.gate?.check(org, { dispatchRun: input.sourceRun, action: 'write-back', digest, requestedBy: `run:${input.sourceRun}` });
  if (gate && !gate.allowed) {
    if (existing) return existing;
    // The files wait in the record (they passed the secret scan) until the approval of their digest is decided.
    const waiting = { phase: AWAITING, approvalRef: gate.approvalRef, reason: gate.reason, pendingChanges: input.changes };
    return (await claim(deps, org, name, () => deps.store.resources.create(runtimeDoc('AgentMemoryUpdate', org, name, spec, { labels: { [RUN_LABEL]: input.sourceRun }, status: waiting })))).record;
  }
  const committing = { phase: 'Committing', ...(gate?.approvalRef ? { approvalRef: gate.approvalRef } : {}) };
  const { won, record: claimed } = await claim(deps, org, name, () => existing
    ? deps.store.resources.updateStatus({ ...existing, status: committing })
    : deps.store.resources.create(runtimeDoc('AgentMemoryUpdate', org, name, spec, { labels: { [RUN_LABEL]: input.sourceRun }, status: committing })));
  if (!won) return claimed;
  return commitClaimed(deps, repo, claimed, input);
}

const AWAITING = 'AwaitingApproval';
const RUN_LABEL = 'kradle.a5c.ai/dispatch-run';

/** One writer wins the record (create, or the guarded move out of AwaitingApproval); a loser gets the winner's record. */
async function claim(deps: MemoryDeps, org: string, name: string, write: () => Promise<StoredResource>): Promise<{ won: boolean; record: StoredResource }> {
  try {
    return { won: true, record: await write() };
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    const first = await deps.store.resources.get('AgentMemoryUpdate', tenantNamespace(org), name);
    if (first) return { won: false, record: first };
    throw err;
  }
}

/**
 * A decided write-back approval: Approved commits the updates waiting on it (their digest is checked again by
 * the gate), Denied rejects them and drops their files.
 */
export async function resumeGatedUpdates(deps: MemoryDeps, org: string, approval: StoredResource): Promise<StoredResource[]> {
  if (approval.spec.action !== 'write-back') return [];
  const run = String(approval.spec.dispatchRun);
  const { items } = await deps.store.resources.list('AgentMemoryUpdate', { namespace: tenantNamespace(org), labelSelector: `${RUN_LABEL}=${run}` });
  const out: StoredResource[] = [];
  for (const u of items.filter((x) => x.status.phase === AWAITING && x.status.approvalRef === approval.metadata.name)) {
    if (approval.status.phase === 'Approved') {
      out.push(await proposeMemoryUpdate(deps, org, { memoryRepository: String(u.spec.memoryRepository), sourceRun: run, changes: u.status.pendingChanges as MemoryChange[] }));
    } else {
      const { pendingChanges: _drop, ...rest } = u.status;
      out.push(await deps.store.resources.updateStatus({ ...u, status: { ...rest, phase: 'Rejected', reason: `approval ${approval.metadata.name} was denied` } }).catch(() => u));
    }
  }
  return out;
}

/**
 * A commit writes each path as a file: one that is a directory (or lies below a file) on the default branch or
 * the run's branch would silently replace that subtree or file, so it is refused, as are paths given twice.
 */
async function refuseTreeConflicts(repo: { gitdir: string }, branch: string, base: string, changes: readonly MemoryChange[]): Promise<void> {
  const tip = await resolveMemoryRef(repo.gitdir, `refs/heads/${branch}`).catch(() => undefined);
  const areas = [...new Set(changes.map((c) => c.path.split('/').slice(0, 2).join('/')))];
  const files = new Set<string>();
  for (const commit of new Set([base, ...(tip ? [tip] : [])])) {
    for (const area of areas) for (const f of await readMemoryFiles(repo.gitdir, commit, area)) files.add(f.path);
  }
  const given = new Set<string>();
  const details: ErrorDetail[] = [];
  changes.forEach((c, i) => {
    if (given.has(c.path)) details.push({ code: 'MEMORY_PATH_CONFLICT', message: 'the same path is given twice', path: c.path, field: `/changes/${i}/path` });
    given.add(c.path);
  });
  const all = [...files, ...given];
  changes.forEach((c, i) => {
    const below = all.find((p) => p.startsWith(`${c.path}/`));
    const above = all.find((p) => c.path.startsWith(`${p}/`));
    if (below || above) details.push({ code: 'MEMORY_PATH_CONFLICT', message: below ? `${c.path} is a directory (it holds ${below})` : `${above} is a file, not a directory`, path: c.path, field: `/changes/${i}/path` });
  });
  if (details.length) throw new ValidationError('memory update conflicts with the repository layout', { details });
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
      ...(claimed.status.approvalRef ? { approvalRef: claimed.status.approvalRef } : {}),
      phase: 'Proposed', validation: 'Passed', baseCommit: result.baseCommit, branch, commit: result.commit,
      diffDigest: claimed.spec.diffDigest, proposedAt: clock.now().toISOString(),
    };
    return await deps.store.resources.updateStatus({ ...claimed, status });
  } catch (err) {
    // The claim is released so the same diff can be proposed again once the repository is reachable; an approved
    // write-back keeps its files and approval, so proposing it again (or the import's next try) commits it.
    if (claimed.status.approvalRef) {
      await deps.store.resources.updateStatus({ ...claimed, status: { phase: AWAITING, approvalRef: claimed.status.approvalRef, pendingChanges: input.changes, lastError: String((err as Error).message).slice(0, 500) } }).catch(() => undefined);
    } else {
      await deps.store.resources.delete('AgentMemoryUpdate', claimed.metadata.namespace, claimed.metadata.name).catch(() => undefined);
    }
    throw err;
  }
}
