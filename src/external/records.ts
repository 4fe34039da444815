import { createHash } from 'node:crypto';
import { normalizeName, type Resource } from '../kinds/index.ts';
import { canonicalJson } from '../loader/index.ts';
import type { Store, StoredResource } from '../store/types.ts';

export type Tx = Parameters<Parameters<Store['transaction']>[0]>[0];

/** Commits a config resource through the config writer (the only way a config kind changes). */
export type ConfigWrite = (req: { org: string; kind: string; name: string; resource: Resource; author: string; message: string }) => Promise<{ commit: string; path: string }>;

export interface Envelope {
  id: string;
  version: number | string;
}

export const digest = (v: unknown) => createHash('sha256').update(canonicalJson(v ?? null)).digest('hex').slice(0, 16);

/** A name of at most 63 characters that stays unique for long inputs. */
export const recordName = (...parts: string[]) => normalizeName(`${parts.map((p) => p.slice(0, 18)).join('-')}-${digest(parts)}`.slice(0, 63));

/** The ExternalSyncState of one binding and local resource. */
export const stateName = (binding: string, plural: string, localName: string) => recordName(binding, plural, localName);

/** Creates or replaces a record (spec guarded by resourceVersion), then merges `status` into its status. */
export async function upsert(tx: Tx | Store, doc: Resource, status: Record<string, unknown>, actor: string): Promise<StoredResource> {
  const current = await tx.resources.get(doc.kind, doc.metadata.namespace!, doc.metadata.name);
  const written = current
    ? await tx.resources.update({ ...doc, metadata: { ...doc.metadata, resourceVersion: current.metadata.resourceVersion } }, { actor })
    : await tx.resources.create(doc, { actor });
  return tx.resources.updateStatus({ ...written, status: { ...written.status, ...status } }, { actor });
}
