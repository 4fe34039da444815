import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { openPack, type PackFile, type RawObject } from './pack-file.ts';

/**
 * What another thread needs to read blobs of a git directory itself: its path, and its packs as shared memory
 * (posted to a worker, they are shared, not copied). Plain data: it crosses threads as is.
 */
export interface SharedObjects {
  gitdir: string;
  packs: { name: string; idx: SharedArrayBuffer; pack: SharedArrayBuffer }[];
}

/** A loose object's inflated bytes as an object, or undefined for what is not one (isomorphic-git then answers). */
export function looseObject(raw: Buffer): RawObject | undefined {
  const space = raw.indexOf(0x20);
  const nul = raw.indexOf(0, space);
  const type = raw.toString('latin1', 0, space);
  if (type !== 'blob' && type !== 'tree' && type !== 'commit' && type !== 'tag') return undefined;
  // A length that disagrees with the header is a damaged object: isomorphic-git's hash check reports it.
  if (Number(raw.toString('latin1', space + 1, nul)) !== raw.length - nul - 1) return undefined;
  return { type, data: raw.subarray(nul + 1) };
}

export const loosePath = (gitdir: string, oid: string) => join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));

/**
 * Reads blobs without waiting, on a worker thread: from the shared packs, else loose. Undefined for a blob it
 * cannot read for any reason (missing, corrupt, not a blob): the main thread reads that one itself, so the
 * error it reports is the one a read there gives.
 */
export function openSharedObjects(shared: SharedObjects): (oid: string) => Uint8Array | undefined {
  const packs: PackFile[] = [];
  for (const p of shared.packs) {
    const pack = openPack(Buffer.from(p.idx), Buffer.from(p.pack));
    if (pack) packs.push(pack);
  }
  const fromPacks = (oid: string): RawObject | undefined => {
    for (const p of packs) {
      const hit = p.read(oid, fromPacks);
      if (hit) return hit;
    }
    return undefined;
  };
  return (oid) => {
    try {
      const obj = fromPacks(oid) ?? looseObject(inflateSync(readFileSync(loosePath(shared.gitdir, oid))));
      return obj?.type === 'blob' ? obj.data : undefined;
    } catch {
      return undefined;
    }
  };
}
