import { createHash } from 'node:crypto';

/** The Git blob id of some content: sha1("blob <len>\0" + content), as `git hash-object` computes it. */
export function gitBlobId(content: Uint8Array): string {
  return createHash('sha1').update(`blob ${content.byteLength}\0`).update(content).digest('hex');
}

/** A revision name for a set of files that is stable under reordering: `worktree:<sha1 of path:oid lines>`. */
export function worktreeRevision(files: readonly { path: string; oid: string }[]): string {
  const lines = files.map((f) => `${f.path}:${f.oid}`).sort().join('\n');
  return `worktree:${createHash('sha1').update(lines).digest('hex')}`;
}
