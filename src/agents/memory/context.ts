import { createHash } from 'node:crypto';
import { NotFoundError } from '../../errors/index.ts';
import type { DesiredState } from '../../loader/types.ts';
import type { Store } from '../../store/types.ts';
import type { ActionGate } from '../action-gate.ts';
import { readMemoryFiles } from '../../writeback/memory/index.ts';
import { orgResources, refName, type Clock, type RandomSource } from '../refs.ts';
import { ontologyFrom, parseStructured, type Ontology } from './ontology.ts';

export interface MemoryRepoRef {
  org: string;
  name: string;
  spec: Record<string, unknown>;
}

export interface MemoryDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  /** Where the git directory of a memory repository is on this machine (a local repo or a fetch cache). */
  repos: (repo: MemoryRepoRef) => { gitdir: string };
  clock?: Clock;
  random?: RandomSource;
  /** Brings a repository's git directory up to date before it is read (a remote: fetch); absent for local ones. */
  prepare?: (repo: MemoryRepoRef & { gitdir: string; defaultBranch: string }) => Promise<void>;
  /** Publishes a memory branch after a commit (a remote: push); absent for local ones. */
  publish?: (repo: MemoryRepoRef & { gitdir: string }, branch: string, commit: string) => Promise<void>;
  /** The §9 gate: a write-back from a run whose stack gates it waits for an approval of its diff digest. */
  gate?: ActionGate;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function stateOf(deps: MemoryDeps): DesiredState {
  const s = deps.desired();
  if (!s) throw new NotFoundError('no desired state is loaded yet');
  return s;
}

/** The org's AgentMemoryRepository by name, or its only one when no name is given; its git directory located. */
export function memoryRepo(deps: MemoryDeps, org: string, name?: string): MemoryRepoRef & { gitdir: string; defaultBranch: string } {
  const ref = findMemoryRepo(deps, org, name);
  return { ...ref, gitdir: deps.repos(ref).gitdir };
}

/** The org's AgentMemoryRepository from the desired state, without touching its repository. */
export function findMemoryRepo(deps: MemoryDeps, org: string, name?: string): MemoryRepoRef & { defaultBranch: string } {
  const state = stateOf(deps);
  const all = orgResources(state, org, 'AgentMemoryRepository');
  const found = name ? all.find((r) => r.id.name === name) : all.length === 1 ? all[0] : undefined;
  if (!found) throw new NotFoundError(name ? `AgentMemoryRepository ${name} not found in org ${org}` : `org ${org} has ${all.length} memory repositories: name one`);
  return { org, name: found.id.name, spec: found.object.spec, defaultBranch: String(found.object.spec.defaultBranch ?? 'main') };
}

/** memoryRepo, then brought up to date (fetched when remote) so reads see its current head. */
export async function openRepo(deps: MemoryDeps, org: string, name?: string): Promise<ReturnType<typeof memoryRepo>> {
  const repo = memoryRepo(deps, org, name);
  await deps.prepare?.(repo);
  return repo;
}

/** The org's ontology for a memory repository: the AgentMemoryOntology spec merged with its file at the base commit. */
export async function ontologyFor(deps: MemoryDeps, repo: MemoryRepoRef & { gitdir: string }, commit: string): Promise<Ontology> {
  const docs = orgResources(stateOf(deps), repo.org, 'AgentMemoryOntology').filter((o) => refName(o.object.spec.memoryRepository) === repo.name);
  const sources: Record<string, unknown>[] = [];
  for (const d of docs) {
    sources.push(d.object.spec);
    const path = typeof d.object.spec.ontologyPath === 'string' ? d.object.spec.ontologyPath : undefined;
    if (!path) continue;
    const dir = path.split('/').slice(0, -1).join('/');
    const file = (await readMemoryFiles(repo.gitdir, commit, dir)).find((f) => f.path === path);
    if (!file) continue;
    try {
      const parsed = parseStructured(path, file.content);
      if (parsed && typeof parsed === 'object') sources.push(parsed as Record<string, unknown>);
    } catch {
      // A broken ontology file is reported when it is itself changed; the spec's rules still apply.
    }
  }
  return ontologyFrom(...sources);
}
