import { BadRequestError, ConflictError, NotFoundError } from '../errors/index.ts';
import type { Store } from '../store/types.ts';

export const RUNNER_STATUSES = ['Idle', 'Running', 'Terminating'] as const;
export type RunnerStatus = (typeof RUNNER_STATUSES)[number];

export interface Runner {
  pool: string;
  name: string;
  status: RunnerStatus;
  job: string | null;
}

export interface PoolRunners {
  pool: string;
  runners: Runner[];
  counts: Record<RunnerStatus, number> & { total: number };
  /** §12.3: Empty (no runner registered), Active (one is Running), Idle (all are Idle). */
  phase: 'Empty' | 'Active' | 'Idle';
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function checkName(what: string, v: string): string {
  if (!NAME.test(v) || v.length > 253) throw new BadRequestError(`${what} must be a DNS name`);
  return v;
}

const rowOf = (r: { pool: string; name: string; status: RunnerStatus; job: string | null }): Runner => ({ pool: r.pool, name: r.name, status: r.status, job: r.job });

/** Runners of the org's pools in their table: registration, the guarded claim of a Job, release, status. */
export function createRunnerRegistry(store: Pick<Store, 'query'>) {
  return {
    async register(org: string, pool: string, name: string): Promise<Runner> {
      const [row] = await store.query<Runner>(
        `INSERT INTO kradle_runners (org, pool, name) VALUES ($1, $2, $3)
         ON CONFLICT (org, pool, name) DO UPDATE SET updated_at = now() RETURNING pool, name, status, job`,
        [org, checkName('pool', pool), checkName('runner', name)],
      );
      return rowOf(row!);
    },
    /** Terminating: it takes no new Job; it leaves when its Job (if any) is released. */
    async terminate(org: string, pool: string, name: string): Promise<Runner> {
      const [row] = await store.query<Runner>(
        `UPDATE kradle_runners SET status = 'Terminating', updated_at = now() WHERE org = $1 AND pool = $2 AND name = $3 RETURNING pool, name, status, job`, [org, pool, name]);
      if (!row) throw new NotFoundError(`runner ${name} of pool ${pool} not found`);
      if (!row.job) await store.query('DELETE FROM kradle_runners WHERE org = $1 AND pool = $2 AND name = $3 AND job IS NULL', [org, pool, name]);
      return rowOf(row);
    },
    /**
     * Idle -> Running for `job`: one guarded UPDATE picks an Idle runner of the pool; a Job already held keeps its
     * runner. Undefined when every runner is busy (the Job stays queued).
     */
    async assign(q: Pick<Store, 'query'>, org: string, pool: string, job: string): Promise<Runner | undefined> {
      const [held] = await q.query<Runner>('SELECT pool, name, status, job FROM kradle_runners WHERE org = $1 AND job = $2', [org, job]);
      if (held) return rowOf(held);
      for (let i = 0; i < 5; i++) {
        const [idle] = await q.query<{ name: string }>(`SELECT name FROM kradle_runners WHERE org = $1 AND pool = $2 AND status = 'Idle' ORDER BY updated_at, name LIMIT 1`, [org, pool]);
        if (!idle) return undefined;
        const [row] = await q.query<Runner>(
          `UPDATE kradle_runners SET status = 'Running', job = $4, updated_at = now()
           WHERE org = $1 AND pool = $2 AND name = $3 AND status = 'Idle' RETURNING pool, name, status, job`, [org, pool, idle.name, job]);
        if (row) return rowOf(row);
      }
      throw new ConflictError(`no Idle runner of pool ${pool} could be claimed for ${job}; retried`);
    },
    /** The Job ended: its runner is Idle again, or gone when it was Terminating. */
    async release(org: string, job: string): Promise<Runner | undefined> {
      const [row] = await store.query<Runner>(
        `UPDATE kradle_runners SET status = CASE WHEN status = 'Terminating' THEN 'Terminating' ELSE 'Idle' END, job = NULL, updated_at = now()
         WHERE org = $1 AND job = $2 RETURNING pool, name, status, job`, [org, job]);
      if (row?.status === 'Terminating') await store.query('DELETE FROM kradle_runners WHERE org = $1 AND pool = $2 AND name = $3 AND job IS NULL', [org, row.pool, row.name]);
      return row && rowOf(row);
    },
    async pool(org: string, pool: string): Promise<PoolRunners> {
      const rows = await store.query<Runner>('SELECT pool, name, status, job FROM kradle_runners WHERE org = $1 AND pool = $2 ORDER BY name', [org, pool]);
      const runners = rows.map(rowOf);
      const counts = { Idle: 0, Running: 0, Terminating: 0, total: runners.length };
      for (const r of runners) counts[r.status]++;
      const phase = !runners.length ? 'Empty' : counts.Running > 0 ? 'Active' : 'Idle';
      return { pool, runners, counts, phase };
    },
  };
}

export type RunnerRegistry = ReturnType<typeof createRunnerRegistry>;
