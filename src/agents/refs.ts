import { randomBytes } from 'node:crypto';
import { API_VERSION, refName, tenantNamespace, type Resource } from '../kinds/index.ts';
import type { DesiredResource, DesiredState } from '../loader/types.ts';

/** A reference as config documents write it: a name, or an object naming it. */
export type Ref = string | { name?: string; namespace?: string; org?: string; organizationRef?: string; kind?: string } | undefined | null;

export { refName };

export function refList(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map(refName).filter((n): n is string => !!n);
}

export function specOf(r: { object: Resource } | Resource | undefined): Record<string, unknown> {
  if (!r) return {};
  return ('object' in r ? r.object.spec : r.spec) ?? {};
}

export function desiredSpec(state: DesiredState, kind: string, org: string, name: string | undefined): Record<string, unknown> | undefined {
  if (!name) return undefined;
  return state.get(kind, org, name)?.object.spec;
}

export function orgResources(state: DesiredState, org: string, kind: string): DesiredResource[] {
  return state.byOrg(org).filter((r) => r.id.kind === kind);
}

/** A runtime document of an org, in its tenant namespace. */
export function runtimeDoc(
  kind: string,
  org: string,
  name: string,
  spec: Record<string, unknown>,
  extra: { labels?: Record<string, string>; status?: Record<string, unknown> } = {},
): Resource {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name, namespace: tenantNamespace(org), ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { organizationRef: org, ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  };
}

export type RandomSource = (bytes: number) => Buffer;
export const cryptoRandom: RandomSource = (n) => randomBytes(n);

/** A DNS-label name with a random suffix: never derived from the clock, so two runs never collide. */
export function randomName(prefix: string, random: RandomSource = cryptoRandom): string {
  return `${prefix}-${random(6).toString('hex')}`.slice(0, 63);
}

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
