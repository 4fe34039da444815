import type { StoredResource } from '../../store/types.ts';
import type { MemoryDeps } from './context.ts';
import { pinMemory, queryMemory, type MemoryQueryInput, type MemoryQueryResult } from './query.ts';
import { proposeMemoryUpdate, resumeGatedUpdates, type ProposeUpdateInput } from './update.ts';

export interface MemoryService {
  /** Redaction, ontology check, commit on `kradle/agent-memory/<run>`; the same diff twice returns the first update. */
  proposeUpdate(org: string, input: ProposeUpdateInput): Promise<StoredResource>;
  /** Graph or grep search at a pinned commit (AgentMemorySnapshot), recorded as an AgentMemoryQuery. */
  query(org: string, input: MemoryQueryInput): Promise<MemoryQueryResult>;
  /** An AgentMemorySnapshot of the repository at `ref` (its default branch): a run's memory pin. */
  pin(org: string, input: { memoryRepository?: string; ref?: string }): Promise<StoredResource>;
  /** A write-back approval was decided: the updates waiting on it are committed (Approved) or rejected. */
  resumeGated(org: string, approval: StoredResource): Promise<StoredResource[]>;
}

export function createMemoryService(deps: MemoryDeps): MemoryService {
  return {
    proposeUpdate: (org, input) => proposeMemoryUpdate(deps, org, input),
    query: (org, input) => queryMemory(deps, org, input),
    pin: (org, input) => pinMemory(deps, org, input),
    resumeGated: (org, approval) => resumeGatedUpdates(deps, org, approval),
  };
}
