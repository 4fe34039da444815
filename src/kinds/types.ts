export type Storage = 'config' | 'runtime';

export interface KindDefinition {
  readonly group: string;
  readonly version: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  /** Bounded context of the spec (identity, agents, policy, ...). */
  readonly context: string;
  /** config = declared in Git; runtime = records in Postgres. */
  readonly storage: Storage;
  readonly requiredSpec: readonly string[];
  /** Lives in kradle-system rather than in a tenant namespace. */
  readonly platformScoped: boolean;
  /** Names its organization by spec.organizationRef. */
  readonly orgScoped: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  [field: string]: unknown;
}

/** A Kradle document as written in YAML or JSON: the Kubernetes object model. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** The one identity used as a key everywhere: kind, namespace and name. */
export interface ResourceId {
  kind: string;
  namespace: string;
  name: string;
}

export function resourceKey(id: ResourceId): string {
  return `${id.kind}/${id.namespace}/${id.name}`;
}

export function parseResourceKey(key: string): ResourceId {
  const [kind = '', namespace = '', name = ''] = key.split('/');
  return { kind, namespace, name };
}
