/** A Kubernetes object as applied: the CR of a Kradle kind or a native object it produces. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

/** Kubernetes DeleteOptions preconditions: the object deleted must still have this uid and resourceVersion. */
export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export type ApplyAction = 'created' | 'configured' | 'unchanged' | 'planned';

export interface ApplyOutcome {
  ref: ObjectRef;
  action: ApplyAction;
  /** The object as the server returned it (absent in plan-only mode). */
  live?: KubeObject;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchHandle {
  stop(): void;
}

export interface ClusterDriver {
  /** live: a real API server; plan-only: no kubeconfig, records what it would apply. */
  readonly mode: 'live' | 'plan-only';
  /** Server-side apply with field manager `kradle`; `force` takes over conflicting fields. */
  apply(obj: KubeObject, opts?: { force?: boolean }): Promise<ApplyOutcome>;
  /**
   * Deletes an object. With `preconditions` (the uid and resourceVersion of the object the caller looked at) the
   * server deletes only that object as it was: one replaced or changed since answers `changed` and stays.
   */
  delete(ref: ObjectRef, opts?: { preconditions?: Preconditions }): Promise<'deleted' | 'absent' | 'changed' | 'planned'>;
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(apiVersion: string, kind: string, opts?: { namespace?: string; labelSelector?: string }): Promise<KubeObject[]>;
  watch(
    apiVersion: string,
    kind: string,
    opts: { namespace?: string; labelSelector?: string },
    onEvent: (type: WatchEventType, obj: KubeObject) => void,
    onError?: (err: unknown) => void,
  ): Promise<WatchHandle>;
  /** Whether the server serves this kind (false when a CRD such as Kyverno's is not installed). */
  servesKind(apiVersion: string, kind: string): Promise<boolean>;
  /**
   * Writes only the `/status` subresource of an object (server-side apply, field manager `kradle`): `absent`
   * when the object (or its kind) does not exist; plan-only records it and answers `planned`.
   */
  applyStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<'written' | 'planned' | 'absent'>;
}
