import type { KubeObject, ObjectRef } from './types.ts';

/**
 * Dependency ranks: what must exist before what. A CRD before any object of its kind, a Namespace before
 * what lives in it, identities and RBAC before the workloads that run as them, storage and config before
 * the pods that mount them, then workloads and custom resources.
 */
const RANK_BY_KIND: Readonly<Record<string, number>> = {
  CustomResourceDefinition: 0,
  Namespace: 1,
  ServiceAccount: 2,
  ClusterRole: 2,
  Role: 2,
  ClusterRoleBinding: 3,
  RoleBinding: 3,
  ConfigMap: 4,
  Secret: 4,
  PersistentVolumeClaim: 4,
};
const WORKLOADS_AND_CUSTOM = 5;

/** Within the last rank, what others refer to goes first: org records, then runtimes before services. */
const SUB_RANK: Readonly<Record<string, number>> = {
  Organization: 0,
  OrgNamespaceBinding: 1,
  ServingRuntime: 2,
};
const DEFAULT_SUB_RANK = 9;

export function applyRank(obj: Pick<KubeObject, 'kind'>): number {
  return RANK_BY_KIND[obj.kind] ?? WORKLOADS_AND_CUSTOM;
}

/**
 * The stage of an object in apply order: objects of one stage do not depend on each other, so they may be
 * applied concurrently, while a stage starts only after the one before it has finished.
 */
export function applyStage(obj: Pick<KubeObject, 'kind'>): number {
  return applyRank(obj) * 100 + (applyRank(obj) === WORKLOADS_AND_CUSTOM ? SUB_RANK[obj.kind] ?? DEFAULT_SUB_RANK : 0);
}

function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** One identity per object across versions of a group: `group/Kind/namespace/name`. */
export function objectIdentity(obj: KubeObject | ObjectRef): string {
  const meta = 'metadata' in obj ? obj.metadata : obj;
  return `${groupOf(obj.apiVersion)}/${obj.kind}/${meta.namespace ?? ''}/${meta.name}`;
}

export function objectRef(obj: KubeObject): ObjectRef {
  const { apiVersion, kind, metadata } = obj;
  return { apiVersion, kind, name: metadata.name, ...(metadata.namespace ? { namespace: metadata.namespace } : {}) };
}

function compareForApply(a: KubeObject, b: KubeObject): number {
  return (
    applyRank(a) - applyRank(b) ||
    (SUB_RANK[a.kind] ?? DEFAULT_SUB_RANK) - (SUB_RANK[b.kind] ?? DEFAULT_SUB_RANK) ||
    cmp(a.kind, b.kind) ||
    cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') ||
    cmp(a.metadata.name, b.metadata.name) ||
    cmp(a.apiVersion, b.apiVersion)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A new array in dependency order; the order is total, so the same objects always come out the same way. */
export function sortForApply<T extends KubeObject>(objects: readonly T[]): T[] {
  return [...objects].sort(compareForApply);
}

/** The reverse of apply order: workloads go before the RBAC, namespaces and CRDs they depend on. */
export function sortForPrune<T extends KubeObject>(objects: readonly T[]): T[] {
  return sortForApply(objects).reverse();
}
