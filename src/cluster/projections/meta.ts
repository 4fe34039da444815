import { createHash } from 'node:crypto';
import { MANAGED_BY, MANAGED_BY_LABEL, ORG_LABEL, OWNER_LABEL, PLATFORM_NAMESPACE, kindDefinition } from '../../kinds/index.ts';
import type { DesiredResource, DesiredState } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';

/** Annotation naming the Kradle resource (`Kind/namespace/name`) an object was projected from. */
export const SOURCE_ANNOTATION = 'kradle.a5c.ai/source';
/** Source key of objects that belong to Kradle itself (CRDs, the platform namespace), not to a config resource. */
export const PLATFORM_SOURCE_KEY = 'kradle/platform';
/** Annotation with the content hash of that resource: a changed hash means the object must be re-applied. */
export const HASH_ANNOTATION = 'kradle.a5c.ai/content-hash';

/**
 * `kradle.a5c.ai/prune: disabled` on a config document: the objects it produced are left in the cluster
 * (no longer tracked) when it leaves the config repo, instead of being deleted, like Flux's
 * `kustomize.toolkit.fluxcd.io/prune: disabled` or Argo CD's `Prune=false`.
 */
export const PRUNE_ANNOTATION = 'kradle.a5c.ai/prune';
export const PRUNE_DISABLED = 'disabled';

/** What a projection may read besides the resource: the whole revision, and the clock (for expiries). */
export interface ProjectionContext {
  state: DesiredState;
  now: Date;
}

/** One domain's projection of one kind into its native objects (the custom resource is added by the caller). */
export type NativeProjection = (r: DesiredResource, ctx: ProjectionContext) => KubeObject[];

const LABEL_VALUE_MAX = 63;

/**
 * The owner label value `<Kind>.<name>`. Label values are at most 63 characters, so a longer one keeps
 * its first 54 characters and ends with 8 hex characters of the full value's sha256: still unique, still valid.
 */
export function ownerLabelValue(kind: string, name: string): string {
  const full = `${kind}.${name}`;
  if (full.length <= LABEL_VALUE_MAX) return full;
  const digest = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, LABEL_VALUE_MAX - 9).replace(/[-_.]+$/, '')}-${digest}`;
}

/** The labels every projected object carries. Platform documents without an org get no org label. */
export function ownedLabels(r: DesiredResource): Record<string, string> {
  const labels: Record<string, string> = { [MANAGED_BY_LABEL]: MANAGED_BY };
  if (r.org) labels[ORG_LABEL] = r.org;
  labels[OWNER_LABEL] = ownerLabelValue(r.id.kind, r.id.name);
  return labels;
}

export function ownedAnnotations(r: DesiredResource): Record<string, string> {
  const owned: Record<string, string> = { [SOURCE_ANNOTATION]: r.key, [HASH_ANNOTATION]: r.hash };
  if (r.object.metadata.annotations?.[PRUNE_ANNOTATION] === PRUNE_DISABLED) owned[PRUNE_ANNOTATION] = PRUNE_DISABLED;
  return owned;
}

/** metadata of a native object owned by `r`; `extra` annotations describe it (never a secret value). */
export function nativeMeta(r: DesiredResource, name: string, namespace?: string, extra: Record<string, string> = {}) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: ownedLabels(r),
    annotations: { ...extra, ...ownedAnnotations(r) },
  };
}

/** The namespace a resource's custom resource lives in: kradle-system for platform kinds, else the tenant namespace. */
export function customResourceNamespace(r: DesiredResource): string {
  return kindDefinition(r.id.kind)?.platformScoped ? PLATFORM_NAMESPACE : r.id.namespace;
}

/** The custom resource of a config kind: the document's metadata and spec, never its status. */
export function customResource(r: DesiredResource): KubeObject {
  const { apiVersion, kind, metadata, spec } = r.object;
  return {
    apiVersion,
    kind,
    metadata: {
      name: metadata.name,
      namespace: customResourceNamespace(r),
      labels: { ...(metadata.labels ?? {}), ...ownedLabels(r) },
      annotations: { ...(metadata.annotations ?? {}), ...ownedAnnotations(r) },
    },
    spec: structuredClone(spec),
  };
}

export { refName } from '../../kinds/index.ts';

export function refField(value: unknown, field: string): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = (value as Record<string, unknown>)[field];
  return typeof v === 'string' && v ? v : undefined;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
