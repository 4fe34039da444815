import fs from 'node:fs';
import git from 'isomorphic-git';
import { NotFoundError } from '../../errors/index.ts';
import { checkRefName } from '../ref-name.ts';

export interface MemoryFile {
  path: string;
  content: string;
}

/** A branch, tag or commit id of the memory repository as a full commit id; a name git would refuse is a 400. */
export async function resolveMemoryRef(gitdir: string, ref: string): Promise<string> {
  if (/^[0-9a-f]{40}$/.test(ref)) {
    try {
      await git.readCommit({ fs, gitdir, oid: ref });
      return ref;
    } catch {
      throw new NotFoundError(`memory repository has no commit ${ref}`);
    }
  }
  checkRefName(ref);
  try {
    return await git.resolveRef({ fs, gitdir, ref });
  } catch {
    throw new NotFoundError(`memory repository has no ref ${ref}`);
  }
}

/** Every file below `dir` at `commit`, read by tree recursion with one shared cache (never through a path per blob). */
export async function readMemoryFiles(gitdir: string, commit: string, dir: string): Promise<MemoryFile[]> {
  const cache = {};
  const ctx = { fs, gitdir, cache };
  const { commit: c } = await git.readCommit({ ...ctx, oid: commit });
  let oid = c.tree;
  for (const part of dir.split('/').filter(Boolean)) {
    const { tree } = await git.readTree({ ...ctx, oid });
    const entry = tree.find((e) => e.path === part && e.type === 'tree');
    if (!entry) return [];
    oid = entry.oid;
  }
  const out: MemoryFile[] = [];
  async function walk(tree: string, prefix: string): Promise<void> {
    const { tree: entries } = await git.readTree({ ...ctx, oid: tree });
    for (const e of entries) {
      const path = `${prefix}/${e.path}`;
      if (e.type === 'tree') await walk(e.oid, path);
      else if (e.type === 'blob') out.push({ path, content: Buffer.from((await git.readBlob({ ...ctx, oid: e.oid })).blob).toString('utf8') });
    }
  }
  await walk(oid, dir.replace(/\/+$/, ''));
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
