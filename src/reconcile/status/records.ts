import { SOURCE_ANNOTATION } from '../../cluster/index.ts';
import type { KubeObject, ObjectRef } from '../../cluster/types.ts';
import { API_VERSION } from '../../kinds/index.ts';
import type { ConditionInput } from '../conditions.ts';
import type { ObjectState } from './compose.ts';

/** The writer's model of one Kradle resource. */
export interface ResourceRecord {
  cr?: ObjectRef;
  generation?: number;
  self?: ObjectState;
  objects: Map<string, ObjectState>;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  invalid?: { message: string };
  extra: Map<string, ConditionInput>;
  fields: Record<string, unknown>;
  /** The status last written (or read back from the server): a composed status equal to it is not written. */
  written?: Record<string, unknown>;
}

export const emptyRecord = (): ResourceRecord => ({ objects: new Map(), extra: new Map(), fields: {} });

/** The Kradle resource (`Kind/namespace/name`) an object was projected from; platform objects have none. */
export function resourceKeyOf(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[SOURCE_ANNOTATION];
}

/** The resource's own custom resource among the objects it produced (an Organization also produces a binding CR). */
export function selfOf(sourceKey: string, objects: readonly KubeObject[]): KubeObject | undefined {
  const [kind, , name] = sourceKey.split('/');
  return objects.find((o) => o.apiVersion === API_VERSION && o.kind === kind && o.metadata.name === name);
}

/**
 * Health of a produced object. Kradle's own custom resources (an Organization's OrgNamespaceBinding) have no
 * controller besides Kradle: once applied they are as healthy as they will get.
 */
export function ownObjectHealth(
  live: KubeObject,
  healthOf: (o: KubeObject) => { status: ObjectState['health']; message: string },
): { status: ObjectState['health']; message: string } {
  if (live.apiVersion === API_VERSION) return { status: 'Healthy', message: 'applied' };
  return healthOf(live);
}
