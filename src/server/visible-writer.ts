import { within, type SyncPort, type WriterPort } from '../api/index.ts';

/**
 * How long a write's answer waits for the sync to load its commit. Reads are served from the loaded revision, so
 * without the wait a GET right after a 201 was a 404 (or the old document with the old ETag). A pass slower than
 * this (a slow cluster) lets the answer go: the commit is written, and reads catch up when the pass ends.
 */
export const WRITE_VISIBLE_MS = 10_000;

/**
 * The writer as the API uses it: a commit on the tracked branch is synced at once, and the answer waits for that
 * pass, so the client that wrote reads its own write on this replica.
 */
export function visibleWriter(port: WriterPort, sync: Pick<SyncPort, 'trigger'>, waitMs = WRITE_VISIBLE_MS): WriterPort {
  // A pass that fails reports itself (sync status, logs); the write it follows was committed all the same.
  const loaded = () => within(sync.trigger('write-back').then(() => true, () => true), waitMs);
  return {
    async write(req) {
      const out = await port.write(req);
      if (req.mode === 'commit' && out.changed !== false) await loaded();
      return out;
    },
    async writeMany(req) {
      const out = await port.writeMany!(req);
      if (req.mode === 'commit' && out.changed) await loaded();
      return out;
    },
  };
}
