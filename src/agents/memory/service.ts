import type { StoredResource } from '../../store/types.ts';
import type { MemoryDeps } from './context.ts';
import { queryMemory, type MemoryQueryInput, type MemoryQueryResult } from './query.ts';
import { proposeMemoryUpdate, type ProposeUpdateInput } from './update.ts';

export interface MemoryService {
  /** Redaction, ontology check, commit on `kradle/agent-memory/<run>`; the same diff twice returns the first update. */
  proposeUpdate(org: string, input: ProposeUpdateInput): Promise<StoredResource>;
  /** Graph or grep search at a pinned commit (AgentMemorySnapshot), recorded as an AgentMemoryQuery. */
  query(org: string, input: MemoryQueryInput): Promise<MemoryQueryResult>;
}

export function createMemoryService(deps: MemoryDeps): MemoryService {
  return {
    proposeUpdate: (org, input) => proposeMemoryUpdate(deps, org, input),
    query: (org, input) => queryMemory(deps, org, input),
  };
}
