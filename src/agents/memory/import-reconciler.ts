import type { Store, Subscription } from '../../store/types.ts';
import type { MemoryImportService } from './import-service.ts';
import { IMPORT_KIND, RESTING_PHASES, type ImportPhase } from './import-steps.ts';

export interface ImportReconciler {
  /** Resumes every import left mid-way (a crash between phases), then follows the event stream. */
  start(): Promise<void>;
  /** Resolves when no import is being advanced (tests, shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

export interface ImportReconcilerDeps {
  store: Store;
  imports: Pick<MemoryImportService, 'advance'>;
  onError?: (err: unknown, key: string) => void;
  /** Periodic full resync, so a failed step (repository unreachable) is retried; 0 turns it off. */
  resyncMs?: number;
}

/**
 * Level-triggered driver of AgentRunMemoryImport: whatever the record says, advance() takes it to its
 * next resting phase. One advance per import at a time; an event during one queues exactly one more.
 */
export function createImportReconciler(deps: ImportReconcilerDeps): ImportReconciler {
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let sub: Subscription | undefined;
  let timer: NodeJS.Timeout | undefined;

  function kick(org: string, name: string): void {
    const key = `${org}/${name}`;
    if (running.has(key)) return void again.add(key);
    const work = (async () => {
      do {
        again.delete(key);
        await deps.imports.advance(org, name).then(() => undefined, (err) => deps.onError?.(err, key));
      } while (again.has(key));
    })().finally(() => running.delete(key));
    running.set(key, work);
  }

  async function resync(): Promise<void> {
    let cont: string | undefined;
    do {
      const page = await deps.store.resources.list(IMPORT_KIND, { limit: 500, continue: cont });
      for (const r of page.items) {
        if (!RESTING_PHASES.includes(r.status.phase as ImportPhase)) kick(String(r.spec.organizationRef), r.metadata.name);
      }
      cont = page.continue;
    } while (cont);
  }

  return {
    async start() {
      const from = await deps.store.events.latestSeq();
      await resync();
      sub = deps.store.events.subscribe(from, (e) => {
        if (e.kind !== IMPORT_KIND || !e.org || (e.type !== 'ADDED' && e.type !== 'MODIFIED')) return;
        kick(e.org, e.name);
      }, { onError: (err) => deps.onError?.(err, 'subscription') });
      if (deps.resyncMs) timer = setInterval(() => void resync().catch((err) => deps.onError?.(err, 'resync')), deps.resyncMs);
    },
    async idle() {
      while (running.size) await Promise.all([...running.values()]);
    },
    stop() {
      sub?.close();
      if (timer) clearInterval(timer);
    },
  };
}
