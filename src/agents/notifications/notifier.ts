import { tenantNamespace } from '../../kinds/index.ts';
import type { DesiredState } from '../../loader/types.ts';
import { createEventConsumer } from '../event-consumer.ts';
import type { Store, StoreEvent, StoredResource } from '../../store/types.ts';
import { orgResources, refList } from '../refs.ts';
import type { NewNotification } from './store.ts';

export interface NotifierDeps {
  store: Store;
  desired: () => DesiredState | undefined;
  /** Records one notification (and its event); the service's notify. */
  notify(org: string, n: NewNotification): Promise<unknown>;
  onError?: (err: unknown) => void;
}

export interface Notifier {
  start(): Promise<void>;
  stop(): Promise<void>;
  idle(): Promise<void>;
}

/** Who is asked to approve in an org: the maintainers and approvers of its Teams; `org-admins` when it has none. */
function approversOf(state: DesiredState | undefined, org: string): string[] {
  const names = state ? orgResources(state, org, 'Team').flatMap((t) => [...refList(t.object.spec.maintainers), ...refList(t.object.spec.approvers)]) : [];
  return names.length ? [...new Set(names)] : ['org-admins'];
}

async function requesterOf(store: Store, org: string, run: unknown): Promise<string | undefined> {
  if (typeof run !== 'string') return undefined;
  const r = await store.resources.get('AgentDispatchRun', tenantNamespace(org), run);
  return typeof r?.spec.requestedBy === 'string' ? r.spec.requestedBy : undefined;
}

/** The notifications one event causes (§7.3). */
async function notificationsOf(deps: NotifierDeps, e: StoreEvent): Promise<NewNotification[]> {
  const org = e.org!;
  const p = (e.payload ?? {}) as Record<string, unknown>;
  const resource = { kind: e.kind, name: e.name };
  if (e.kind === 'AgentDispatchRun' && (e.type === 'RUN_COMPLETED' || e.type === 'RUN_FAILED')) {
    const to = await requesterOf(deps.store, org, e.name);
    const failed = e.type === 'RUN_FAILED';
    return to ? [{ recipient: to, type: 'run-complete', severity: failed ? 'error' : 'info', resource, source: `${e.kind}/${e.name}/${e.type}`,
      title: `run ${e.name} ${failed ? 'failed' : 'completed'}`, message: failed ? String(p.errorMessage ?? '') : `cost ${String(p.costUsd ?? 0)} USD` }] : [];
  }
  if (e.kind === 'AgentApproval' && e.type === 'APPROVAL_REQUESTED') {
    return approversOf(deps.desired(), org).map((to) => ({ recipient: to, type: 'approval-needed', severity: 'warning', resource, source: `${e.kind}/${e.name}`,
      title: `run ${String(p.runId)} asks for ${String(p.action)}`, message: `requested by ${String(p.requestedBy)}` }));
  }
  if (e.kind === 'ExternalSyncConflict' && e.type === 'ADDED') {
    return approversOf(deps.desired(), org).map((to) => ({ recipient: to, type: 'conflict-detected', severity: 'warning', resource, source: `${e.kind}/${e.name}`,
      title: `external sync conflict ${e.name}`, message: 'the local resource and the external backend disagree; resolve the conflict' }));
  }
  if (e.kind === 'KradleWorkspaceRuntime' && (e.type === 'ADDED' || e.type === 'MODIFIED')) {
    const ws = p as unknown as StoredResource;
    if (ws.status?.phase !== 'InUse' || typeof ws.status.runRef !== 'string') return [];
    const to = await requesterOf(deps.store, org, ws.status.runRef);
    return to ? [{ recipient: to, type: 'workspace-ready', severity: 'info', resource, source: `${e.kind}/${e.name}/${ws.status.runRef}`,
      title: `workspace ${e.name} is ready for run ${ws.status.runRef}` }] : [];
  }
  return [];
}

/**
 * Turns store events into notifications, leader-only, through the shared event consumer (persisted cursor), so
 * a restart or a new leader resumes where the last one stopped; a replayed event inserts nothing twice.
 */
export function createNotifier(deps: NotifierDeps): Notifier {
  return createEventConsumer({
    store: deps.store, cursor: 'agent-notifications', onError: deps.onError,
    ignore: (e) => e.kind === 'Notification',
    async handle(e) {
      const notes = e.org ? await notificationsOf(deps, e) : [];
      for (const n of notes) await deps.notify(e.org!, n);
      return notes.length > 0;
    },
  });
}
