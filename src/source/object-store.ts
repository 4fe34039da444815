import { readdirSync, readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { KradleError } from '../errors/index.ts';
import { corruptObjectError } from './objects.ts';
import { openPack, type PackFile, type RawObject } from './pack-file.ts';
import { looseObject, loosePath, type SharedObjects } from './shared-objects.ts';

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
  /** The packs as of the last refresh, in shared memory, for worker threads to read blobs themselves. */
  shared(): SharedObjects;
}

/** A pack as read: its reader, and its bytes in memory that worker threads can share. */
interface LoadedPack {
  reader: PackFile;
  idx: SharedArrayBuffer;
  pack: SharedArrayBuffer;
}

export function createObjectStore(gitdir: string): ObjectStore {
  const packDir = join(gitdir, 'objects', 'pack');
  let packs = new Map<string, LoadedPack | undefined>();

  const fromPacks = (oid: string): RawObject | undefined => {
    for (const [name, p] of packs) {
      let hit: RawObject | undefined;
      try {
        hit = p?.reader.read(oid, fromPacks);
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

  async function loose(oid: string): Promise<RawObject | undefined> {
    let raw: Buffer;
    try {
      raw = inflateSync(await readFile(loosePath(gitdir, oid)));
    } catch {
      return undefined;
    }
    return looseObject(raw);
  }

  function looseSync(oid: string): RawObject | undefined {
    try {
      return looseObject(inflateSync(readFileSync(loosePath(gitdir, oid))));
    } catch {
      return undefined;
    }
  }

  /**
   * A refresh started by a read that found its object neither in the known packs nor loose: `git gc --auto`
   * (which a commit starts in the background once loose objects pile up) may have packed it and removed the
   * loose file since the snapshot began. Like git's reprepare on a miss, the pack list is read again, once for
   * all the reads that miss together, before the slow path is taken.
   */
  let missRefresh: Promise<void> | undefined;
  const refreshAfterMiss = () => (missRefresh ??= store.refresh().finally(() => (missRefresh = undefined)));

  const store: ObjectStore = {
    async refresh() {
      let names: string[];
      try {
        names = readdirSync(packDir).filter((n) => n.endsWith('.idx')).sort();
      } catch {
        names = [];
      }
      const next = new Map<string, LoadedPack | undefined>();
      for (const name of names) {
        // A pack that failed to load (being written by a fetch, say) is tried again next time.
        next.set(name, packs.get(name) ?? (await load(name)));
      }
      packs = next;
    },
    async read(oid) {
      if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
      const found = fromPacks(oid) ?? (await loose(oid));
      if (found) return found;
      await refreshAfterMiss();
      return fromPacks(oid);
    },
    readSync(oid) {
      if (!/^[0-9a-f]{40}$/.test(oid)) return undefined;
      return fromPacks(oid) ?? looseSync(oid);
    },
    shared() {
      const list: SharedObjects['packs'] = [];
      for (const [name, p] of packs) if (p) list.push({ name, idx: p.idx, pack: p.pack });
      return { gitdir, packs: list };
    },
  };
  return store;

  async function load(idxName: string): Promise<LoadedPack | undefined> {
    try {
      const [idx, pack] = await Promise.all([readShared(join(packDir, idxName)), readShared(join(packDir, idxName.replace(/\.idx$/, '.pack')))]);
      const reader = openPack(Buffer.from(idx), Buffer.from(pack));
      return reader && { reader, idx, pack };
    } catch {
      return undefined; // a pack being written or removed right now: isomorphic-git will answer
    }
  }
}

/** A whole file in shared memory: one copy of a pack serves the main thread and every parse worker. */
async function readShared(path: string): Promise<SharedArrayBuffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const out = new SharedArrayBuffer(size);
    const view = new Uint8Array(out);
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(view, at, size - at, at);
      if (bytesRead === 0) throw new Error(`${path}: file shorter than its size`);
      at += bytesRead;
    }
    return out;
  } finally {
    await file.close();
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
