import type { ErrorDetail } from '../errors/index.ts';
import type { Resource } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { PullRequestPreviews } from '../forge/index.ts';
import type { Preview } from '../plan/index.ts';
import type { Store, SyncRun } from '../store/types.ts';
import type { Logger } from 'pino';
import type { RouteDef } from './context.ts';
import type { RepoStorage } from '../repos/index.ts';

/** What the continuous sync loop reports; the API only reads it. */
export interface SyncStatus {
  /** Idle (synced), Syncing, ValidationFailed (the fetched revision is invalid; the last good one stays applied), Failed (a pass failed), Stopped. */
  state: 'Idle' | 'Syncing' | 'ValidationFailed' | 'Failed' | 'Stopped';
  /** live, or plan-only when no cluster is connected (objects are planned, never applied). */
  mode?: 'live' | 'plan-only';
  /** The revision last applied, undefined before the first successful sync. */
  syncedRevision?: string;
  /** The revision last fetched from the source. */
  fetchedRevision?: string;
  lastRun?: SyncRun;
  /** Whether the cluster is reachable (health of the driver); readyz reports it. False in plan-only mode. */
  clusterReachable: boolean;
  /** Whether the config source (git) answered its last fetch. */
  sourceReachable?: boolean;
  /** Whether this replica holds the leader lock (applies, delivers webhooks) or follows (serves reads). */
  leader?: boolean;
  message?: string;
}


export interface ConfigPort {
  current(): DesiredState | undefined;
  lastError(): ErrorDetail[];
}

export interface SyncPort {
  status(): SyncStatus;
  /** A fetch that finds the revision already synced runs no pass unless `record` asks for one (POST /api/sync). */
  trigger(reason: string, opts?: { record?: boolean }): Promise<void>;
  /** Validation and plan of head against base, applying nothing (pull-request previews). */
  preview(base: string, head: string): Promise<Preview>;
}

/** A change to the config repo, applied by writeback/ as one commit (or one branch with mode pull-request). */
export interface ConfigWriteRequest {
  operation: 'apply' | 'delete';
  org: string;
  kind: string;
  name: string;
  /** The full document for apply; absent for delete. */
  resource?: Resource;
  /** The revision the client read (If-Match); the writer answers ConflictError when the resource changed since. */
  expectedRevision?: string;
  mode: 'commit' | 'pull-request';
  author: { name: string; email?: string };
  message?: string;
}

/** Several config changes of one org as ONE commit: the resulting revision is validated whole first. */
export interface ConfigWriteManyRequest {
  org: string;
  /** `source`: the document as its author wrote it; a new resource keeps that text and its comments. */
  edits: { operation: 'apply' | 'delete'; kind: string; name: string; resource?: Resource; source?: string }[];
  mode: 'commit' | 'pull-request';
  author: { name: string; email?: string };
  message?: string;
  expectedRevision?: string;
}

export interface ConfigWriteManyResult {
  commit: string;
  branch: string;
  /** False when no edit changed anything: no commit was made. */
  changed: boolean;
  items: { path: string; created: boolean; changed: boolean }[];
  /** The revision's warnings about the written documents (UNKNOWN_FIELD), when the writer validates; none when absent. */
  warnings?: ErrorDetail[];
}

export interface WriterPort {
  /** `created` (when the writer knows it) says whether the resource was new in the repo. */
  /** `changed` false: the write left the files as they were and made no commit. */
  /** `warnings`: the revision's about the written document, when the writer validates; none when absent. */
  write(req: ConfigWriteRequest): Promise<{ commit: string; branch: string; path: string; created?: boolean; changed?: boolean; warnings?: ErrorDetail[] }>;
  /** Optional: routes that need it (snapshot import) answer 503 when the writer cannot do it. */
  writeMany?(req: ConfigWriteManyRequest): Promise<ConfigWriteManyResult>;
}

/** A KServe InferenceService as the cluster reports it; only what the inference proxy needs. */
export interface InferenceEndpoint {
  /** status.url once KServe made the service ready; undefined before. */
  url?: string;
  ready: boolean;
}

/** Reads KServe InferenceServices of an org's namespace (serving.kserve.io/v1beta1). */
export interface InferencePort {
  /** 'plan-only' when no cluster is connected; undefined when the InferenceService does not exist. */
  endpoint(org: string, name: string): Promise<InferenceEndpoint | 'plan-only' | undefined>;
  /** Upstream request timeout, 30 s by default. */
  timeoutMs?: number;
}

/** Kubernetes Secrets of an org's tenant namespace: the only place secret values go. */
export interface SecretsPort {
  list(org: string): Promise<{ name: string; keys: string[] }[]>;
  /** Creates or replaces the Secret's data. */
  put(org: string, name: string, data: Record<string, string>): Promise<void>;
  /** Returns false when absent. */
  delete(org: string, name: string): Promise<boolean>;
  /** The value of one key, undefined when the Secret or key is absent. Used by the webhook dispatcher only. */
  read(org: string, name: string, key: string): Promise<string | undefined>;
}

export interface Clock {
  now(): Date;
}

export interface ApiDeps {
  store: Store;
  config: ConfigPort;
  sync: SyncPort;
  writer?: WriterPort;
  secrets?: SecretsPort;
  /** Where Repositories keep their Git data (pull-request merges); unset: every merge is refused with 409. */
  repoStorage?: RepoStorage;
  /** KServe endpoints for POST .../inference/services/:name/infer; the route answers 503 when unset. */
  inference?: InferencePort;
  logger: Logger;
  clock?: Clock;
  /** Shared secret for POST /api/webhooks/git; the route answers 503 when unset. */
  gitWebhookSecret?: string;
  /** Previews of the config repo's pull requests, posted to the forge on its pull_request webhooks. */
  pullRequestPreviews?: PullRequestPreviews;
  /** The branch the sync follows: a push webhook for another ref starts no sync. Unknown: every branch push does. */
  syncedBranch?: () => string | undefined;
  /** SSE heartbeat interval; 15 s by default. */
  heartbeatMs?: number;
  /** Events buffered per SSE client before it is dropped as too slow; 1,000 by default. */
  sseBufferLimit?: number;
  /** How long a browser session lasts; 8 h by default. */
  sessionTtlMs?: number;
  /** How often an open event stream re-checks its token or session (closed once revoked or expired); 2 s by default. */
  authRecheckMs?: number;
  /** Origins (scheme://host[:port]) whose pages may call the API cross-origin, with credentials; none by default. */
  corsOrigins?: readonly string[];
  /** Routes of other domains (the agents routes), served with the same auth, envelope and OpenAPI entry. */
  extraRoutes?: readonly RouteDef[];
}
