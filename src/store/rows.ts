import type { StoreEvent } from './types.ts';

/** pg returns bigint as string and PGlite as number or bigint; timestamps as Date. Normalize once here. */
export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
}

export function isoOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : iso(v);
}

export interface EventRow {
  seq: unknown;
  org: string | null;
  type: string;
  kind: string;
  namespace: string | null;
  name: string;
  resource_version: unknown;
  actor: string | null;
  payload: unknown;
  created_at: unknown;
}

export const EVENT_COLUMNS = 'seq, org, type, kind, namespace, name, resource_version, actor, payload, created_at';

export function toEvent(r: EventRow): StoreEvent {
  return {
    seq: Number(r.seq),
    org: r.org,
    type: r.type,
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    resourceVersion: r.resource_version === null || r.resource_version === undefined ? null : String(r.resource_version),
    actor: r.actor,
    payload: r.payload,
    createdAt: iso(r.created_at),
  };
}
