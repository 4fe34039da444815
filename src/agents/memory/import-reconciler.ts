import { ConflictError } from '../../errors/index.ts';
import { tenantNamespace } from '../../kinds/index.ts';
import { createLoop, defineReconciler, orgKey, parseOrgKey, watchStoreEvents } from '../../reconcile/index.ts';
import type { Store, StoredResource } from '../../store/types.ts';
import type { MemoryImportService } from './import-service.ts';
import { IMPORT_KIND, RESTING_PHASES, type ImportPhase } from './import-steps.ts';

export interface ImportReconciler {
  /** Resumes every import left mid-way (a crash between phases), then follows the event stream. */
  start(): Promise<void>;
  /** Resolves when no import is being advanced (tests, shutdown). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export interface ImportReconcilerDeps {
  store: Store;
  imports: Pick<MemoryImportService, 'advance'>;
  onError?: (err: unknown, key: string) => void;
  /** Periodic full resync, so a failed step (repository unreachable) is retried; 0 turns it off. */
  resyncMs?: number;
}

/**
 * Level-triggered driver of AgentRunMemoryImport on the reconcile engine: whatever the record says, advance()
 * takes it to its next resting phase. The work queue runs one advance per import at a time (an event during one
 * queues exactly one more) and retries a failed step with back-off; the resync catches anything missed.
 */
export function createImportReconciler(deps: ImportReconcilerDeps): ImportReconciler {
  const reconciler = defineReconciler<StoredResource>({
    name: 'memory-imports',
    async load(key) {
      const { org, name } = parseOrgKey(key);
      const imp = await deps.store.resources.get(IMPORT_KIND, tenantNamespace(org), name);
      return imp && { object: imp, generation: imp.metadata.generation, status: { conditions: (imp.status.conditions ?? []) as never } };
    },
    steps: [{ name: 'advanceImport', condition: 'ImportAdvanceFailed', async run(ctx) {
      const { org, name } = parseOrgKey(ctx.key);
      await deps.imports.advance(org, name);
      return 'success';
    } }],
    async saveStatus(ctx) {
      const { org, name } = parseOrgKey(ctx.key);
      const cur = await deps.store.resources.get(IMPORT_KIND, tenantNamespace(org), name);
      if (!cur || JSON.stringify(cur.status.conditions ?? []) === JSON.stringify(ctx.status.conditions)) return;
      // A phase move that raced this write wins; its event brings the conditions back here.
      await deps.store.resources.updateStatus({ ...cur, status: { ...cur.status, conditions: ctx.status.conditions } }).catch((err) => { if (!(err instanceof ConflictError)) throw err; });
    },
  });
  async function enqueueAll(add: (key: string) => void): Promise<void> {
    let cont: string | undefined;
    do {
      const page = await deps.store.resources.list(IMPORT_KIND, { limit: 500, continue: cont });
      for (const r of page.items) {
        if (!RESTING_PHASES.includes(r.status.phase as ImportPhase)) add(orgKey(String(r.spec.organizationRef), r.metadata.name));
      }
      cont = page.continue;
    } while (cont);
  }

  const loop = createLoop<string>({
    name: 'memory-imports',
    handler: (key, signal) => reconciler.reconcile(key, signal),
    enqueueAll,
    ...(deps.resyncMs ? { resyncIntervalMs: deps.resyncMs } : {}),
    ...watchStoreEvents<string>(deps.store.events, (e, add) => {
      if (e.kind === IMPORT_KIND && e.org && (e.type === 'ADDED' || e.type === 'MODIFIED')) add(orgKey(e.org, e.name));
    }, (err) => deps.onError?.(err, 'subscription')),
    onError: (key, err) => deps.onError?.(err, key),
    onResyncError: (err) => deps.onError?.(err, 'resync'),
  });

  return {
    start: () => loop.start(),
    idle: () => loop.whenIdle(),
    stop: () => loop.stop(),
  };
}
