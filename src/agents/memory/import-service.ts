import { BadRequestError, ConflictError, NotFoundError, sanitize } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import type { ListPage, StoredResource } from '../../store/types.ts';
import { randomName, runtimeDoc, systemClock } from '../refs.ts';
import { lifecyclePublisher } from '../status.ts';
import { findMemoryRepo, type MemoryDeps } from './context.ts';
import { ENTRY_TYPES, checkEntries } from './import-entries.ts';
import { IMPORT_KIND, RESTING_PHASES, STEPS, redactEntries, type ImportPhase } from './import-steps.ts';

export interface CollectInput {
  memoryRepository?: string;
  /** What the facts come from: a dispatch run or an agent session. */
  source: { kind: 'AgentDispatchRun' | 'AgentSession'; name: string };
  entries: unknown;
  /** Entry types to import; all four when absent. */
  include?: string[];
  transcriptRef?: string;
  confidenceThreshold?: number;
  /** A fixed name makes collection idempotent (one import per run); random otherwise. */
  name?: string;
  actor: string;
}

export interface MemoryImportService {
  /** Records the import as Collected (credentials already masked) and drives it as far as it goes. */
  collect(org: string, input: CollectInput): Promise<StoredResource>;
  get(org: string, name: string): Promise<StoredResource>;
  list(org: string, opts?: { limit?: number; continue?: string }): Promise<ListPage<StoredResource>>;
  approve(org: string, name: string, by: string, notes?: string): Promise<StoredResource>;
  reject(org: string, name: string, by: string, reason: string): Promise<StoredResource>;
  /** Runs the automatic steps until a resting phase (level-triggered: safe to call any time, twice, after a crash). */
  advance(org: string, name: string): Promise<StoredResource>;
}

const MAX_STEPS = 8;
const eventType = (phase: ImportPhase) => `MEMORY_IMPORT_${phase.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;

export function createMemoryImportService(deps: MemoryDeps): MemoryImportService {
  const publish = lifecyclePublisher(deps.store);
  const clock = deps.clock ?? systemClock;
  const ns = tenantNamespace;

  async function get(org: string, name: string): Promise<StoredResource> {
    const r = await deps.store.resources.get(IMPORT_KIND, ns(org), name);
    if (!r) throw new NotFoundError(`${IMPORT_KIND} ${name} not found in org ${org}`);
    return r;
  }

  /** One guarded transition (resourceVersion) and its event; undefined when someone else moved the record first. */
  async function move(org: string, cur: StoredResource, phase: ImportPhase, fields: Record<string, unknown>, actor = 'kradle-memory-import') {
    const status = { ...cur.status, ...fields, phase, lastError: null, phaseTransitionTime: clock.now().toISOString() };
    let next: StoredResource;
    try {
      next = await deps.store.resources.updateStatus({ ...cur, status }, { actor });
    } catch (err) {
      if (err instanceof ConflictError) return undefined;
      throw err;
    }
    const counts = { entries: ((cur.status.rawEntries ?? []) as unknown[]).length, redactedFields: ((next.status.redactedFields ?? []) as unknown[]).length };
    await publish(org, eventType(phase), IMPORT_KIND, cur.metadata.name, { importRef: cur.metadata.name, from: cur.status.phase, to: phase, ...counts, ...(phase === 'Merged' ? { commit: fields.commit, mergedEntryCount: fields.mergedEntryCount } : {}) }, actor);
    return next;
  }

  async function advance(org: string, name: string): Promise<StoredResource> {
    let cur = await get(org, name);
    for (let i = 0; i < MAX_STEPS * 2; i++) {
      const phase = cur.status.phase as ImportPhase;
      const step = STEPS[phase];
      if (!step || RESTING_PHASES.includes(phase)) return cur;
      let result;
      try {
        result = await step(deps, org, cur);
      } catch (err) {
        // The phase stays: the reconciler retries it; the reason is kept (credentials scrubbed).
        await deps.store.resources.updateStatus({ ...cur, status: { ...cur.status, lastError: sanitize((err as Error).message) } }).catch(() => undefined);
        throw err;
      }
      cur = (await move(org, cur, result.phase, result.fields)) ?? (await get(org, name));
    }
    return cur;
  }

  async function human(org: string, name: string, phase: 'Approved' | 'Rejected', fields: Record<string, unknown>, by: string) {
    for (;;) {
      const cur = await get(org, name);
      if (cur.status.phase !== 'AwaitingReview') throw new ConflictError(`${IMPORT_KIND} ${name} is ${String(cur.status.phase)}, not AwaitingReview`);
      const next = await move(org, cur, phase, fields, by);
      if (next) return phase === 'Approved' ? advance(org, name) : next;
    }
  }

  return {
    async collect(org, input) {
      const include = input.include?.length ? input.include : [...ENTRY_TYPES];
      const bad = include.filter((t) => !(ENTRY_TYPES as readonly string[]).includes(t));
      if (bad.length) throw new BadRequestError(`include may list ${ENTRY_TYPES.join(', ')}; not ${bad.join(', ')}`);
      if (!input.source?.name) throw new BadRequestError('source needs a name');
      if (input.confidenceThreshold !== undefined && (typeof input.confidenceThreshold !== 'number' || input.confidenceThreshold < 0 || input.confidenceThreshold > 1)) throw new BadRequestError('confidenceThreshold is a number in [0, 1]');
      // Credentials and personal data are masked before anything is written: no phase of the record holds one.
      const { entries, fields } = redactEntries(checkEntries(input.entries, include), true);
      const repo = findMemoryRepo(deps, org, input.memoryRepository);
      const name = input.name ?? randomName('mi', deps.random);
      const spec = { memoryRepository: repo.name, source: input.source, include, ...(input.confidenceThreshold !== undefined ? { confidenceThreshold: input.confidenceThreshold } : {}) };
      const status = {
        phase: 'Collected', sourceRef: input.source, sourceType: input.source.kind === 'AgentSession' ? 'session' : 'run', rawEntries: entries,
        intakeRedactions: fields, collectedAt: clock.now().toISOString(), ...(input.transcriptRef ? { transcriptRef: input.transcriptRef } : {}),
      };
      try {
        await deps.store.resources.create(runtimeDoc(IMPORT_KIND, org, name, spec, { status }), { actor: input.actor });
      } catch (err) {
        if (err instanceof ConflictError && input.name) return get(org, name);
        throw err;
      }
      await publish(org, eventType('Collected'), IMPORT_KIND, name, { importRef: name, source: input.source, entries: entries.length, redactedFields: fields.length }, input.actor);
      return advance(org, name).catch(() => get(org, name));
    },
    get,
    list: (org, opts = {}) => deps.store.resources.list(IMPORT_KIND, { namespace: ns(org), ...opts }),
    approve: (org, name, by, notes) => human(org, name, 'Approved', { approvedBy: by, approvedAt: clock.now().toISOString(), approvalNotes: notes ?? '' }, by),
    async reject(org, name, by, reason) {
      if (typeof reason !== 'string' || !reason.trim()) throw new BadRequestError('rejecting an import needs a reason');
      return human(org, name, 'Rejected', { rejectedBy: by, rejectedAt: clock.now().toISOString(), rejectionReason: reason }, by);
    },
    advance,
  };
}
