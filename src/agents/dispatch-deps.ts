import type { ClusterDriver } from '../cluster/types.ts';
import { NotFoundError } from '../errors/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { Store } from '../store/types.ts';
import type { MemoryImportService, MemoryService } from './memory/index.ts';
import type { Clock, RandomSource } from './refs.ts';
import type { Lifecycle } from './status.ts';

export interface DispatchDeps {
  store: Store;
  driver: ClusterDriver;
  desired: () => DesiredState | undefined;
  clock?: Clock;
  /** Base URL agents call back on, e.g. `https://kradle.example`; the run path is appended. */
  callbackBaseUrl: string;
  random?: RandomSource;
  /** Agent runner image; the default image otherwise. */
  image?: string;
  /** Adapter/transport health probe; false (or a throw) keeps runs Queued with a retry condition. */
  transportHealthy?: (org: string, transport: { protocol: string; codec: string; binding?: string; endpoint?: string }) => Promise<boolean>;
  /** Token estimate used by the budget check when the request gives none. */
  estimatedTokens?: { input: number; output: number };
  /** Where a completed run's callback `memory` section goes (an AgentRunMemoryImport); ignored when absent. */
  memoryImports?: Pick<MemoryImportService, 'collect'>;
  /** Pins the stack's memory repository for each attempt (the run context's memory snapshot). */
  memory?: Pick<MemoryService, 'pin'>;
}

export type Ctx = DispatchDeps & Required<Pick<DispatchDeps, 'clock' | 'random'>> & { publish: Lifecycle };

export function stateOf(deps: { desired: () => DesiredState | undefined }): DesiredState {
  const s = deps.desired();
  if (!s) throw new NotFoundError('no desired state is loaded yet');
  return s;
}

export const RUN_KIND = 'AgentDispatchRun';
export const RUN_LABEL = 'kradle.a5c.ai/dispatch-run';
