import { SOURCE_ANNOTATION } from '../../cluster/index.ts';
import type { KubeObject, ObjectRef } from '../../cluster/types.ts';
import { API_VERSION } from '../../kinds/index.ts';
import type { ConditionInput } from '../conditions.ts';
import type { ObjectState } from './compose.ts';

/** The writer's model of one Kradle resource: everything its status is composed from. */
export interface ResourceRecord {
  org: string | null;
  cr?: ObjectRef;
  generation?: number;
  self?: ObjectState;
  objects: Map<string, ObjectState>;
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  invalid?: { message: string };
  extra: Map<string, ConditionInput>;
  fields: Record<string, unknown>;
  /** The status last saved to the store: a composed status equal to it is no change. */
  stored?: Record<string, unknown>;
  /** The status last written to the custom resource (or read back from the server). */
  written?: Record<string, unknown>;
}

export const emptyRecord = (): ResourceRecord => ({ org: null, objects: new Map(), extra: new Map(), fields: {} });

/** The persisted form of a record (the store's `model` column). */
export interface RecordModel {
  cr?: ObjectRef;
  generation?: number;
  self?: ObjectState;
  objects?: [string, ObjectState][];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  invalid?: { message: string };
  extra?: ConditionInput[];
  fields?: Record<string, unknown>;
}

export function toModel(r: ResourceRecord): RecordModel {
  return {
    ...(r.cr ? { cr: r.cr } : {}),
    ...(r.generation !== undefined ? { generation: r.generation } : {}),
    ...(r.self ? { self: r.self } : {}),
    objects: [...r.objects],
    ...(r.lastAppliedRevision ? { lastAppliedRevision: r.lastAppliedRevision } : {}),
    ...(r.lastAttemptedRevision ? { lastAttemptedRevision: r.lastAttemptedRevision } : {}),
    ...(r.invalid ? { invalid: r.invalid } : {}),
    extra: [...r.extra.values()],
    fields: r.fields,
  };
}

export function fromModel(org: string | null, m: RecordModel, stored: Record<string, unknown>): ResourceRecord {
  return {
    org,
    ...(m.cr ? { cr: m.cr } : {}),
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(m.self ? { self: m.self } : {}),
    objects: new Map(m.objects ?? []),
    ...(m.lastAppliedRevision ? { lastAppliedRevision: m.lastAppliedRevision } : {}),
    ...(m.lastAttemptedRevision ? { lastAttemptedRevision: m.lastAttemptedRevision } : {}),
    ...(m.invalid ? { invalid: m.invalid } : {}),
    extra: new Map((m.extra ?? []).map((c) => [c.type, c])),
    fields: m.fields ?? {},
    stored,
  };
}

/** The Kradle resource (`Kind/namespace/name`) an object was projected from; platform objects have none. */
export function resourceKeyOf(obj: KubeObject): string | undefined {
  return obj.metadata.annotations?.[SOURCE_ANNOTATION];
}

/** The resource's own custom resource among the objects it produced (an Organization also produces a binding CR). */
export function selfOf(sourceKey: string, objects: readonly KubeObject[]): KubeObject | undefined {
  const [kind, , name] = sourceKey.split('/');
  return objects.find((o) => o.apiVersion === API_VERSION && o.kind === kind && o.metadata.name === name);
}
