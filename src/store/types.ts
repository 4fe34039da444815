import type { ObjectMeta, Resource } from '../kinds/index.ts';

/** A runtime record as the store holds it: server-set metadata always present. */
export interface StoredResource extends Resource {
  metadata: ObjectMeta & {
    namespace: string;
    uid: string;
    resourceVersion: string;
    generation: number;
    creationTimestamp: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  status: Record<string, unknown>;
}

export interface ListOptions {
  namespace?: string;
  /** Kubernetes label selector: `a=b,c!=d,e in (x,y),f notin (z),g,!h`. */
  labelSelector?: string;
  limit?: number;
  /** Opaque token from a previous page. */
  continue?: string;
}

export interface ListPage<T> {
  items: T[];
  /** Present when more items follow. */
  continue?: string;
}

export interface WriteContext {
  /** Who made the change (token subject, `system`, `controller`), recorded in the event and audit log. */
  actor?: string;
}

export interface RuntimeResources {
  /** ConflictError when kind/namespace/name exists; ValidationError when the document fails its schema. */
  create(doc: Resource, ctx?: WriteContext): Promise<StoredResource>;
  get(kind: string, namespace: string, name: string): Promise<StoredResource | undefined>;
  list(kind: string, opts?: ListOptions): Promise<ListPage<StoredResource>>;
  /** Replaces metadata.labels/annotations and spec; guarded by metadata.resourceVersion (ConflictError when stale). */
  update(doc: Resource, ctx?: WriteContext): Promise<StoredResource>;
  /** Replaces status only; guarded like update. */
  updateStatus(doc: Resource, ctx?: WriteContext): Promise<StoredResource>;
  /** Deletes; guarded when `resourceVersion` is given. Returns false when absent. */
  delete(kind: string, namespace: string, name: string, opts?: { resourceVersion?: string } & WriteContext): Promise<boolean>;
  /** Creates many records in one statement (bulk loads, benchmarks); ConflictError and nothing written when any exists. */
  createMany(docs: Resource[], ctx?: WriteContext): Promise<StoredResource[]>;
}

export interface StoreEvent {
  seq: number;
  org: string | null;
  /** ADDED | MODIFIED | DELETED for records; sync and lifecycle types (SyncSucceeded, RUN_CREATED, ...) otherwise. */
  type: string;
  kind: string;
  namespace: string | null;
  name: string;
  resourceVersion: string | null;
  /** WriteContext.actor of the write, when given. */
  actor?: string | null;
  payload: unknown;
  createdAt: string;
}

export interface NewEvent {
  org: string | null;
  type: string;
  kind: string;
  namespace?: string | null;
  name: string;
  payload?: unknown;
  actor?: string;
}

export interface Events {
  /** Appends an event not tied to a runtime write (sync outcomes, lifecycle events). */
  publish(event: NewEvent): Promise<StoreEvent>;
  /** Appends events in one transaction, with seqs in array order and one wake-up (a pass announcing many changes). */
  publishMany(events: readonly NewEvent[]): Promise<StoreEvent[]>;
  /** Events with seq > afterSeq, oldest first; filtered by org when given. */
  since(afterSeq: number, opts?: { org?: string; limit?: number }): Promise<StoreEvent[]>;
  latestSeq(): Promise<number>;
  /**
   * Delivers every event after `afterSeq` in order, then each new one as it is committed.
   * Wake-ups come from LISTEN/NOTIFY (server) or an in-process signal (PGlite); delivery
   * always re-reads from the last delivered seq, so a missed wake-up loses nothing.
   */
  subscribe(
    afterSeq: number,
    onEvent: (e: StoreEvent) => void,
    opts?: { org?: string; onError?: (err: unknown) => void },
  ): Subscription;
}

export interface Subscription {
  close(): void;
}

export interface InventoryEntry {
  /** Key of the Kradle resource that produced the object: `Kind/namespace/name`. */
  sourceKey: string;
  org: string | null;
  target: { apiVersion: string; kind: string; namespace: string | null; name: string };
  revision: string;
  contentHash: string;
  syncStatus: 'Synced' | 'OutOfSync' | 'SyncFailed' | 'Pruned' | 'Planned';
  health: 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown' | 'Suspended';
  /** Why the object is in this state, from the last apply (Applied, PlanOnly, KindNotServed, ApplyFailed). */
  reason?: string;
  /** The health or failure message of the last apply. */
  message?: string;
  /** Conditions of the object (empty unless a writer records them). */
  conditions?: Condition[];
  updatedAt?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface Inventory {
  /** Inserts or replaces entries by (sourceKey, target). */
  upsert(entries: InventoryEntry[]): Promise<void>;
  remove(targets: InventoryEntry['target'][]): Promise<void>;
  /**
   * In one transaction: drops every row of the `takenOver` targets (objects whose owner changed: the new owner's
   * entry is among `entries`), upserts `entries`, then removes the `removed` targets.
   */
  write(entries: readonly InventoryEntry[], opts?: { takenOver?: readonly InventoryEntry['target'][]; removed?: readonly InventoryEntry['target'][] }): Promise<void>;
  /** `syncStatus: 'SyncFailed'` reads only the failed entries (an index holds them apart). */
  list(filter?: { org?: string; sourceKey?: string; syncStatus?: InventoryEntry['syncStatus'] }): Promise<InventoryEntry[]>;
  /** Changes whenever an org's entries do (count and newest write): a reader caches what it derives until then. */
  version(org: string): Promise<string>;
}

/** The status of one Kradle config resource, as every replica reads it and the /status writer projects it. */
export interface ResourceStatusRecord {
  /** `Kind/namespace/name` of the resource. */
  sourceKey: string;
  org: string | null;
  kind: string;
  namespace: string;
  name: string;
  /** The revision last attempted for this resource. */
  revision: string | null;
  phase: string;
  ready: Condition['status'];
  /** The worst health of the objects the resource produced. */
  health: InventoryEntry['health'];
  /** The composed status (conditions, phase, revisions, objects), as written to the custom resource. */
  status: Record<string, unknown>;
  /** What the status is composed from (object states, other domains' conditions and fields). */
  model: Record<string, unknown>;
  updatedAt?: string;
}

export interface ResourceStatuses {
  get(sourceKey: string): Promise<ResourceStatusRecord | undefined>;
  list(filter?: { org?: string }): Promise<ResourceStatusRecord[]>;
  /** Upserts the records and publishes one ResourceStatusChanged event each, in one transaction. */
  save(records: readonly ResourceStatusRecord[]): Promise<void>;
  remove(sourceKeys: readonly string[]): Promise<void>;
}

export interface SyncRun {
  id: number;
  revision: string;
  startedAt: string;
  finishedAt: string | null;
  /** Interrupted: the process running the pass died (or lost the leader lock) before it finished. */
  outcome: 'Running' | 'Succeeded' | 'ValidationFailed' | 'Failed' | 'PartiallyApplied' | 'Interrupted';
  counts: Record<string, number>;
  errors: { code: string; message: string; path?: string; line?: number; column?: number }[];
}

export interface SyncRuns {
  start(revision: string): Promise<SyncRun>;
  /** Records the outcome; with onlyIfRunning, a run already finished keeps its outcome. */
  finish(id: number, result: Pick<SyncRun, 'outcome' | 'counts' | 'errors'>, opts?: { onlyIfRunning?: boolean }): Promise<SyncRun>;
  list(opts?: { limit?: number }): Promise<SyncRun[]>;
  /** One run; NotFoundError when there is none. */
  get(id: number): Promise<SyncRun>;
  /** Closes every run still Running as Interrupted (its process is gone: only the leader records runs). */
  interruptRunning(): Promise<SyncRun[]>;
  latest(): Promise<SyncRun | undefined>;
  /** The newest run of a valid revision (Succeeded or PartiallyApplied): what the cluster last had applied. */
  lastGood(): Promise<SyncRun | undefined>;
}

export interface AuditEntry {
  id: number;
  org: string;
  actor: string;
  action: string;
  resource: { kind: string; namespace?: string; name: string } | null;
  outcome: string;
  digest: string | null;
  at: string;
}

export interface AuditLog {
  append(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry>;
  /** Oldest first, unless `order` is `desc`. */
  query(filter?: { org?: string; action?: string; since?: string; until?: string; limit?: number; offset?: number; order?: 'asc' | 'desc' }): Promise<AuditEntry[]>;
}

export interface LeaderLease {
  readonly name: string;
  /** Resolves when the lock is lost (connection dropped); the holder must stop its work. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/** Where an event consumer (the webhook dispatcher) got to, by name; survives restarts and leader changes. */
export interface Cursors {
  /** The last handled event seq, undefined when the consumer never recorded one. */
  get(name: string): Promise<number | undefined>;
  /** Moves the cursor to `seq` unless it is already further; returns the stored seq. */
  advance(name: string, seq: number): Promise<number>;
}

export interface Store {
  readonly driver: 'pglite' | 'postgres';
  /** Applies pending migrations under an advisory lock; returns the ids it applied. */
  migrate(): Promise<string[]>;
  readonly resources: RuntimeResources;
  readonly events: Events;
  readonly inventory: Inventory;
  readonly statuses: ResourceStatuses;
  readonly syncRuns: SyncRuns;
  readonly audit: AuditLog;
  readonly cursors: Cursors;
  /** Tries to take the named leader lock; undefined when another session holds it. */
  tryAcquireLeader(name: string): Promise<LeaderLease | undefined>;
  /** Raw query, for modules that own their own tables through migrations (api tokens, agents). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs fn in one transaction; everything written through `tx` commits or rolls back together. */
  transaction<T>(fn: (tx: Pick<Store, 'query' | 'resources' | 'events'>) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
