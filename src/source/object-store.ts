import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { KradleError } from '../errors/index.ts';
import { corruptObjectError } from './objects.ts';
import { openPack, type PackFile, type RawObject } from './pack-file.ts';

/**
 * Read-only access to the objects of a git directory, for the snapshot's hot path (thousands of
 * reads). It knows loose objects and version-2 packs; anything else reads as undefined so the
 * caller falls back to isomorphic-git (which also owns the errors). A packed object whose bytes do
 * not decode is a REPO_CORRUPT error naming it.
 */
export interface ObjectStore {
  /** Lists the pack directory again: call once per snapshot, packs come and go with fetch and gc. */
  refresh(): Promise<void>;
  read(oid: string): Promise<RawObject | undefined>;
  /** The same, without waiting: for a rare read that must answer at once (an error's position). */
  readSync(oid: string): RawObject | undefined;
}

export function createObjectStore(gitdir: string): ObjectStore {
  const packDir = join(gitdir, 'objects', 'pack');
  let packs = new Map<string, PackFile | undefined>();

  const fromPacks = (oid: string): RawObject | undefined => {
    for (const [name, p] of packs) {
      let hit: RawObject | undefined;
      try {
        hit = p?.read(oid, fromPacks);
      } catch (err) {
        if (err instanceof KradleError) throw err; // a REF_DELTA base in another pack, already named
        // The index lists the object but its bytes do not decode (a damaged or truncated pack, a delta
        // that does not apply): without the object's id the error would name nothing to repair.
        throw corruptObjectError('object', oid, err, ` (pack ${name.replace(/\.idx$/, '.pack')})`);
      }
      if (hit) return hit;
    }
    return undefined;
  };

  const loosePath = (oid: string) => join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));

  async function loose(oid: string): Promise<RawObject | undefined> {
    let raw: Buffer;
    try {
      raw = inflateSync(await readFile(loosePath(oid)));
    } catch {
      return undefined;
    }
    return looseObject(raw);
  }

  function looseSync(oid: string): RawObject | undefined {
    try {
      return looseObject(inflateSync(readFileSync(loosePath(oid))));
    } catch {
      return undefined;
    }
  }

  function looseObject(raw: Buffer): RawObject | undefined {
    const space = raw.indexOf(0x20);
    const nul = raw.indexOf(0, space);
    const type = raw.toString('latin1', 0, space);
    if (type !== 'blob' && type !== 'tree' && type !== 'commit' && type !== 'tag') return undefined;
    // A length that disagrees with the header is a damaged object: isomorphic-git's hash check reports it.
    if (Number(raw.toString('latin1', space + 1, nul)) !== raw.length - nul - 1) return undefined;
    return { type, data: raw.subarray(nul + 1) };
  }

  return {
    async refresh() {
      let names: string[];
      try {
        names = (await readdir(packDir)).filter((n) => n.endsWith('.idx')).sort();
      } catch {
        names = [];
      }
      const next = new Map<string, PackFile | undefined>();
      for (const name of names) {
        // A pack that failed to load (being written by a fetch, say) is tried again next time.
        next.set(name, packs.get(name) ?? (await load(name)));
      }
      packs = next;
    },
    async read(oid) {
      if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
      return fromPacks(oid) ?? (await loose(oid));
    },
    readSync(oid) {
      if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
      return fromPacks(oid) ?? looseSync(oid);
    },
  };

  async function load(idxName: string): Promise<PackFile | undefined> {
    try {
      const [idx, pack] = await Promise.all([readFile(join(packDir, idxName)), readFile(join(packDir, idxName.replace(/\.idx$/, '.pack')))]);
      return openPack(idx, pack);
    } catch {
      return undefined; // a pack being written or removed right now: isomorphic-git will answer
    }
  }
}

/** The entries of a tree object: Git's `<mode> <name>\0<20-byte id>` records. */
export function parseTree(data: Buffer): { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] {
  const out: { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] = [];
  let p = 0;
  while (p < data.length) {
    const space = data.indexOf(0x20, p);
    const nul = data.indexOf(0, space);
    const mode = data.toString('latin1', p, space);
    const path = data.toString('utf8', space + 1, nul);
    const oid = data.toString('hex', nul + 1, nul + 21);
    const type = mode === '40000' || mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
    out.push({ mode: mode.padStart(6, '0'), path, oid, type });
    p = nul + 21;
  }
  return out;
}
