import * as nodeFs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { WriterFs } from './types.ts';

let sequence = 0;
const MKDIR_RETRIES = 3;

/**
 * The fs isomorphic-git writes objects through, with each loose object written to a temporary file and
 * renamed into place. isomorphic-git writes an object file in place and never rewrites one that exists,
 * so a process killed mid-write (or a disk that fills up) would leave a truncated object that every later
 * read of that revision fails on. The temporary name starts with tmp_obj_, which `git gc` cleans up.
 */
export function createAtomicFs(base: WriterFs = nodeFs): WriterFs {
  const p = base.promises;
  /**
   * `git gc` (prune-packed, prune) removes an empty objects/xx directory, also the one isomorphic-git has just made
   * for this object: the directory is made again and the write retried, as git's own object writer does.
   */
  type Args = Parameters<typeof p.writeFile>;
  async function writeTmp(tmp: string, data: Args[1], options: Args[2]): Promise<void> {
    for (let i = 0; ; i++) {
      try {
        return await p.writeFile(tmp, data, options);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || i >= MKDIR_RETRIES) throw err;
        await p.mkdir(dirname(tmp), { recursive: true });
      }
    }
  }
  async function writeFile(...args: Parameters<typeof p.writeFile>): Promise<void> {
    const [file, data, options] = args;
    if (typeof file !== 'string' || !/[\\/]objects[\\/][0-9a-f]{2}[\\/][0-9a-f]{38}$/.test(file)) return p.writeFile(file, data, options);
    const tmp = join(dirname(file), `tmp_obj_${basename(file)}_${process.pid}_${sequence++}`);
    try {
      await writeTmp(tmp, data, options);
      await p.rename(tmp, file);
    } catch (err) {
      await p.rm(tmp, { force: true });
      throw err;
    }
  }
  return { ...base, promises: { ...p, writeFile } } as WriterFs;
}

export const atomicFs: WriterFs = createAtomicFs();
