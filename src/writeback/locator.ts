import git from 'isomorphic-git';
import type { SnapshotFile } from '../source/types.ts';
import type { GitContext } from './git-tree.ts';
import { identityKey, type ResourceIdentity } from './identity.ts';
import { fileIdentities } from './yaml-edit.ts';
import type { ConfigFile } from './types.ts';

const READ_BATCH = 64;
const MAX_CACHED_BLOBS = 200_000;

/** What the desired state told the writer: the file to try first, or that the resource is absent at the tip. */
export interface LocateHint {
  path?: string;
  absent?: boolean;
}

export interface Locator {
  /** The file that holds the resource among `files`, or undefined. */
  find(files: readonly SnapshotFile[], id: ResourceIdentity): Promise<SnapshotFile | undefined>;
  readText(oid: string): Promise<string>;
  /** The files an edit must see: the one holding the resource and the conventional path, as text. */
  candidates(files: readonly SnapshotFile[], id: ResourceIdentity, conventional: string | undefined, hint?: LocateHint): Promise<ConfigFile[]>;
}

/**
 * Finds which file holds a resource. The conventional path is tried first; otherwise every file's
 * identities are read once per blob id and kept, so after the first write only changed blobs are parsed.
 */
export function createLocator(ctx: GitContext): Locator {
  const byBlob = new Map<string, string[]>();

  async function readText(oid: string): Promise<string> {
    const { blob } = await git.readBlob({ ...ctx, oid });
    return new TextDecoder().decode(blob);
  }

  async function identities(oid: string): Promise<string[]> {
    let keys = byBlob.get(oid);
    if (!keys) {
      keys = fileIdentities(await readText(oid)).flatMap((id) => (id ? [identityKey(id)] : []));
      if (byBlob.size >= MAX_CACHED_BLOBS) byBlob.clear();
      byBlob.set(oid, keys);
    }
    return keys;
  }

  async function scan(files: readonly SnapshotFile[], key: string): Promise<SnapshotFile | undefined> {
    for (let i = 0; i < files.length; i += READ_BATCH) {
      const batch = files.slice(i, i + READ_BATCH);
      const keys = await Promise.all(batch.map((f) => identities(f.oid)));
      const at = keys.findIndex((k) => k.includes(key));
      if (at >= 0) return batch[at];
    }
    return undefined;
  }

  async function holds(file: SnapshotFile | undefined, key: string): Promise<boolean> {
    return file !== undefined && (await identities(file.oid)).includes(key);
  }

  async function find(files: readonly SnapshotFile[], id: ResourceIdentity, conventional?: string, hint?: LocateHint) {
    const key = identityKey(id);
    const guess = conventional ? files.find((f) => f.path === conventional) : undefined;
    if (await holds(guess, key)) return guess;
    const hinted = hint?.path ? files.find((f) => f.path === hint.path) : undefined;
    if (await holds(hinted, key)) return hinted;
    // Only a hint the writer could verify against the tip says "absent"; anything else is checked by scanning.
    if (hint?.absent) return undefined;
    return scan(files, key);
  }

  return {
    find: (files, id) => find(files, id),
    readText,
    async candidates(files, id, conventional, hint) {
      const holder = await find(files, id, conventional, hint);
      const guess = conventional ? files.find((f) => f.path === conventional) : undefined;
      const picked = [holder, guess !== holder ? guess : undefined].filter((f): f is SnapshotFile => f !== undefined);
      return Promise.all(picked.map(async (f) => ({ path: f.path, text: await readText(f.oid) })));
    },
  };
}
