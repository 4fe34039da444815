import { BadRequestError, NotFoundError } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { StoredResource } from '../../store/types.ts';
import { checkRefName } from '../../writeback/index.ts';
import { readMemoryFiles, resolveMemoryRef, type MemoryFile } from '../../writeback/memory/index.ts';
import { randomName, runtimeDoc } from '../refs.ts';
import { graphOf, MEMORY_AREAS, MEMORY_ROOT, parseStructured } from './ontology.ts';
import { memoryRepo, openRepo, sha256, type MemoryDeps } from './context.ts';

export interface MemoryQueryInput {
  query: string;
  mode?: 'graph' | 'grep';
  /** Memory areas to search (ontology, graph, runbooks, decisions); all when absent. */
  kinds?: string[];
  memoryRepository?: string;
  /** Branch, tag or commit to pin; the repository's default branch when absent. */
  ref?: string;
  /** An existing AgentMemorySnapshot: the query reads its pinned commit, whatever moved since. */
  snapshot?: string;
  requester: string;
}

export type MemoryHit =
  | { kind: 'line'; path: string; line: number; text: string }
  | { kind: 'node'; path: string; node: Record<string, unknown>; edges: Record<string, unknown>[] };

export interface MemoryQueryResult {
  query: string;
  snapshot: string;
  commit: string;
  mode: 'graph' | 'grep';
  results: MemoryHit[];
  resultsDigest: string;
}

const MAX_RESULTS = 200;

function grep(files: MemoryFile[], text: string): MemoryHit[] {
  const needle = text.toLowerCase();
  return files.flatMap((f) => f.content.split('\n').flatMap((line, i) => (line.toLowerCase().includes(needle) ? [{ kind: 'line' as const, path: f.path, line: i + 1, text: line }] : [])));
}

function graph(files: MemoryFile[], text: string): MemoryHit[] {
  const needle = text.toLowerCase();
  const hits: MemoryHit[] = [];
  for (const f of files.filter((x) => /\.(ya?ml|json)$/i.test(x.path))) {
    let g;
    try {
      g = graphOf(parseStructured(f.path, f.content));
    } catch {
      continue;
    }
    for (const node of g.nodes) {
      if (!JSON.stringify(node).toLowerCase().includes(needle)) continue;
      const id = node.id;
      hits.push({ kind: 'node', path: f.path, node, edges: g.edges.filter((e) => e.from === id || e.to === id) });
    }
  }
  return hits;
}

/** A ref the caller may name: a branch, tag or commit id; nothing that walks out of the git directory. */
function checkRef(ref: unknown): string | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref !== 'string' || ref.length > 255) throw new BadRequestError('ref must be a branch, tag or commit id');
  return checkRefName(ref);
}

function checkInput(input: MemoryQueryInput): void {
  if (input.kinds !== undefined && (!Array.isArray(input.kinds) || input.kinds.some((k) => typeof k !== 'string'))) throw new BadRequestError(`kinds must be a list of ${MEMORY_AREAS.join(', ')}`);
  for (const f of ['snapshot', 'memoryRepository'] as const) if (input[f] !== undefined && (typeof input[f] !== 'string' || !input[f])) throw new BadRequestError(`${f} must be a name`);
  checkRef(input.ref);
}

/** Pins a memory repository at a commit: an existing snapshot, or a new AgentMemorySnapshot of `ref` (default branch). */
export async function pinMemory(deps: MemoryDeps, org: string, input: Pick<MemoryQueryInput, 'snapshot' | 'memoryRepository' | 'ref'>): Promise<StoredResource> {
  checkRef(input.ref);
  if (input.snapshot) {
    const snap = await deps.store.resources.get('AgentMemorySnapshot', tenantNamespace(org), input.snapshot);
    if (!snap) throw new NotFoundError(`AgentMemorySnapshot ${input.snapshot} not found`);
    return snap;
  }
  const repo = await openRepo(deps, org, input.memoryRepository);
  const requestedRef = input.ref ?? repo.defaultBranch;
  const commit = await resolveMemoryRef(repo.gitdir, requestedRef);
  return deps.store.resources.create(
    runtimeDoc('AgentMemorySnapshot', org, randomName('ms', deps.random), { memoryRepository: repo.name, requestedRef, resolvedCommit: commit }),
  );
}

/**
 * Pins the repository at a commit (AgentMemorySnapshot), reads the memory files at that commit from Git,
 * searches them (grep: lines; graph: nodes and their edges) and records an AgentMemoryQuery with digests.
 */
export async function queryMemory(deps: MemoryDeps, org: string, input: MemoryQueryInput): Promise<MemoryQueryResult> {
  if (typeof input.query !== 'string' || !input.query.trim()) throw new BadRequestError('query must be a non-empty string');
  checkInput(input);
  const mode = input.mode ?? 'grep';
  if (mode !== 'grep' && mode !== 'graph') throw new BadRequestError('mode must be graph or grep');
  const areas = input.kinds?.length ? input.kinds : [...MEMORY_AREAS];
  const bad = areas.filter((k) => !(MEMORY_AREAS as readonly string[]).includes(k));
  if (bad.length) throw new BadRequestError(`unknown memory kinds: ${bad.join(', ')}`);
  const snap = await pinMemory(deps, org, input);
  const commit = String(snap.spec.resolvedCommit);
  // A pinned snapshot may name a commit this process has not fetched yet (remote repositories).
  const repo = input.snapshot ? await openRepo(deps, org, String(snap.spec.memoryRepository)) : memoryRepo(deps, org, String(snap.spec.memoryRepository));
  if (input.snapshot) await resolveMemoryRef(repo.gitdir, commit).catch((err) => {
    // Force-pushed away and garbage-collected: the pin cannot be honoured, and reading the head instead would lie.
    throw new NotFoundError(`AgentMemorySnapshot ${snap.metadata.name} pins commit ${commit}, which memory repository ${repo.name} no longer holds; query without a snapshot to pin its current head`, { cause: err });
  });
  const files = (await Promise.all(areas.map((a) => readMemoryFiles(repo.gitdir, commit, `${MEMORY_ROOT}/${a}`)))).flat();
  const results = (mode === 'grep' ? grep(files, input.query) : graph(files, input.query)).slice(0, MAX_RESULTS);
  const resultDigests = results.map((r) => sha256(JSON.stringify(r)));
  const resultsDigest = sha256(JSON.stringify(resultDigests));
  const spec = { snapshotRef: snap.metadata.name, requester: input.requester, query: { text: input.query, mode, kinds: areas } };
  await deps.store.resources.create(
    runtimeDoc('AgentMemoryQuery', org, randomName('mq', deps.random), spec, { status: { resolvedCommit: commit, resultCount: results.length, resultDigests, resultsDigest } }),
  );
  return { query: input.query, snapshot: snap.metadata.name, commit, mode, results, resultsDigest };
}
