import type { AuditEntry, Store, StoreEvent, StoredResource } from '../store/types.ts';
import { createEventConsumer, type EventConsumer } from './event-consumer.ts';

type Entry = Omit<AuditEntry, 'id' | 'at' | 'org'>;

const ref = (e: StoreEvent) => ({ kind: e.kind, ...(e.namespace ? { namespace: e.namespace } : {}), name: e.name });
const digestOf = (v: unknown) => (typeof v === 'string' && v ? v : null);

/**
 * The §13 audit entry an agent-domain event stands for, or undefined. The actor is the event's (the token
 * subject, `run:<name>` for an agent, the controller); payloads are never copied, only digests.
 */
export function auditEntryOf(e: StoreEvent): Entry | undefined {
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const doc = p as unknown as StoredResource;
  const actor = e.actor ?? (typeof p.requestedBy === 'string' ? p.requestedBy : 'system');
  const entry = (action: string, outcome: string, digest: string | null = null): Entry => ({ actor, action, resource: ref(e), outcome, digest });
  switch (e.type) {
    case 'RUN_CREATED': return entry('dispatch', 'Pending');
    case 'RUN_STARTED': return entry('dispatch-start', 'Running');
    case 'RUN_COMPLETED': return entry('run-complete', 'Completed');
    case 'RUN_FAILED': return entry('run-complete', 'Failed');
    case 'APPROVAL_REQUESTED': return entry('approval-request', String(p.action ?? ''), digestOf(p.digest));
    case 'APPROVAL_GRANTED': return entry('approval-decision', 'Approved');
    case 'APPROVAL_DENIED': return entry('approval-decision', 'Denied');
  }
  if (e.type.startsWith('MEMORY_IMPORT_')) return entry('memory-import', e.type.slice('MEMORY_IMPORT_'.length));
  if (e.type !== 'ADDED' && e.type !== 'MODIFIED') return undefined;
  if (e.kind === 'AgentDispatchRun' && e.type === 'ADDED' && typeof doc.spec?.retryOf === 'string') return entry('retry', `of ${doc.spec.retryOf}`);
  if (e.kind === 'AgentMemoryUpdate' && doc.status?.phase === 'Proposed') return entry('memory-update', 'Proposed', digestOf(doc.spec?.diffDigest));
  if (e.kind === 'AgentMemoryUpdate' && doc.status?.phase === 'AwaitingApproval' && e.type === 'ADDED') return entry('memory-update', 'AwaitingApproval', digestOf(doc.spec?.diffDigest));
  if (e.kind === 'ExternalSyncEvent' && e.type === 'ADDED') return entry('external-sync', String(doc.spec?.eventKind ?? doc.status?.outcome ?? 'recorded'));
  if (e.kind === 'ExternalSyncConflict' && e.type === 'ADDED') return entry('conflict-open', 'Open');
  if (e.kind === 'ExternalSyncConflict' && doc.status?.phase === 'Resolved') return entry('conflict-resolution', String(doc.status.strategy ?? 'Resolved'));
  return undefined;
}

/**
 * Records dispatch, retries, approvals and decisions, memory updates and imports, external sync and conflict
 * resolutions in the audit log (queryable by GET /api/orgs/:org/audit), leader-only, from the event stream.
 */
export function createAgentAuditor(deps: { store: Store; onError?: (err: unknown) => void }): EventConsumer {
  return createEventConsumer({
    store: deps.store, cursor: 'agent-audit', onError: deps.onError,
    async handle(e) {
      const entry = e.org ? auditEntryOf(e) : undefined;
      if (!entry) return false;
      await deps.store.audit.append({ org: e.org!, ...entry });
      return true;
    },
  });
}
