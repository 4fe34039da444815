import { NotFoundError } from '../errors/index.ts';
import type { Queryable } from './driver.ts';
import { iso, isoOrNull } from './rows.ts';
import type { SyncRun, SyncRuns } from './types.ts';

interface Row {
  id: unknown;
  revision: string;
  started_at: unknown;
  finished_at: unknown;
  outcome: SyncRun['outcome'];
  counts: SyncRun['counts'];
  errors: SyncRun['errors'];
}

function toRun(r: Row): SyncRun {
  return {
    id: Number(r.id),
    revision: r.revision,
    startedAt: iso(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    outcome: r.outcome,
    counts: r.counts,
    errors: r.errors,
  };
}

/** Finished runs kept by default: a revision whose objects keep failing records a run at every poll. */
export const SYNC_HISTORY = 1000;

/**
 * History of sync attempts: one row per pass the controller made. Starting a run drops finished runs older than
 * the newest `keep`, as Argo CD keeps a bounded sync history, except the newest good run (lastGood: what the
 * cluster last had applied, which a restart and /api/sync read).
 */
export function createSyncRuns(q: Queryable, keep = SYNC_HISTORY): SyncRuns {
  const history = Math.max(1, Math.floor(keep));
  return {
    async start(revision) {
      const [row] = await q.query<Row>(`INSERT INTO sync_runs (revision) VALUES ($1) RETURNING *`, [revision]);
      await q.query(
        `DELETE FROM sync_runs
         WHERE finished_at IS NOT NULL
           AND id < (SELECT id FROM sync_runs ORDER BY id DESC OFFSET $1 LIMIT 1)
           AND id <> COALESCE((SELECT max(id) FROM sync_runs WHERE outcome IN ('Succeeded', 'PartiallyApplied')), 0)`,
        [history - 1],
      );
      return toRun(row!);
    },
    async finish(id, result, opts = {}) {
      const [row] = await q.query<Row>(
        `UPDATE sync_runs SET finished_at = now(), outcome = $2, counts = $3::jsonb, errors = $4::jsonb
         WHERE id = $1 AND ($5::boolean IS NOT TRUE OR finished_at IS NULL) RETURNING *`,
        [id, result.outcome, JSON.stringify(result.counts ?? {}), JSON.stringify(result.errors ?? []), opts.onlyIfRunning === true],
      );
      if (row) return toRun(row);
      const [current] = await q.query<Row>(`SELECT * FROM sync_runs WHERE id = $1`, [id]);
      if (!current) throw new NotFoundError(`sync run ${id} not found`);
      return toRun(current);
    },
    async list(opts = {}) {
      const rows = await q.query<Row>(`SELECT * FROM sync_runs ORDER BY id DESC LIMIT $1`, [Math.max(1, opts.limit ?? 50)]);
      return rows.map(toRun);
    },
    async get(id) {
      const [row] = await q.query<Row>(`SELECT * FROM sync_runs WHERE id = $1`, [id]);
      if (!row) throw new NotFoundError(`sync run ${id} not found`);
      return toRun(row);
    },
    async interruptRunning() {
      const errors = [{ code: 'INTERRUPTED', message: 'the process running this sync stopped, or lost the leader lock, before it finished' }];
      const rows = await q.query<Row>(
        `UPDATE sync_runs SET finished_at = now(), outcome = 'Interrupted', errors = $1::jsonb WHERE finished_at IS NULL RETURNING *`,
        [JSON.stringify(errors)],
      );
      return rows.map(toRun);
    },
    async latest() {
      const [row] = await q.query<Row>(`SELECT * FROM sync_runs ORDER BY id DESC LIMIT 1`);
      return row ? toRun(row) : undefined;
    },
    async lastGood() {
      const [row] = await q.query<Row>(`SELECT * FROM sync_runs WHERE outcome IN ('Succeeded', 'PartiallyApplied') ORDER BY id DESC LIMIT 1`);
      return row ? toRun(row) : undefined;
    },
  };
}
