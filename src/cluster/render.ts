import YAML from 'yaml';
import { PLATFORM_NAMESPACE } from '../kinds/index.ts';
import type { DesiredState } from '../loader/types.ts';
import { sortForApply } from './apply-order.ts';
import { buildCrds } from './crds.ts';
import { projectState } from './projections/index.ts';
import type { KubeObject } from './types.ts';

export interface RenderedFile {
  /** `<order>-<kind>[-<namespace>]-<name>.yaml`: `kubectl apply -f DIR` reads files in name order. */
  file: string;
  content: string;
  object: KubeObject;
}

/** Names of files a previous render wrote (safe to delete before writing a new one). */
export const RENDERED_FILE = /^\d{4,}-[a-z0-9.-]+\.yaml$/;

/**
 * The platform namespace the Organization and OrgNamespaceBinding records live in. Rendered so that
 * `kubectl apply` works on an empty cluster; never projected, so a live prune can never delete it.
 */
export function platformNamespace(): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PLATFORM_NAMESPACE, labels: { 'app.kubernetes.io/part-of': 'kradle' } } };
}

/** Everything a cluster needs for a revision: Kradle's CRDs, the platform namespace, every projected object. */
export function renderObjects(state: DesiredState, opts: { now?: Date; crds?: KubeObject[] } = {}): KubeObject[] {
  return sortForApply([...(opts.crds ?? buildCrds()), platformNamespace(), ...projectState(state, { now: opts.now })]);
}

/** One YAML file per object, numbered in apply order. */
export function renderManifests(objects: readonly KubeObject[]): RenderedFile[] {
  const width = Math.max(4, String(objects.length).length);
  return sortForApply(objects).map((object, i) => {
    const { kind, metadata } = object;
    const parts = [String(i).padStart(width, '0'), kind.toLowerCase(), ...(metadata.namespace ? [metadata.namespace] : []), metadata.name];
    return { file: `${parts.join('-')}.yaml`, content: YAML.stringify(object, { lineWidth: 0 }), object };
  });
}
