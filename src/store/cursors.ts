import type { Queryable } from './driver.ts';
import type { Cursors } from './types.ts';

/**
 * Event cursors: one row per consumer name. `advance` never moves a cursor backwards, so two
 * consumers racing (an old leader finishing while a new one starts) cannot rewind each other.
 */
export function createCursors(db: Queryable): Cursors {
  return {
    async get(name) {
      const rows = await db.query<{ seq: string | number }>('SELECT seq FROM kradle_cursors WHERE name = $1', [name]);
      return rows[0] ? Number(rows[0].seq) : undefined;
    },
    async advance(name, seq) {
      if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`cursor seq must be a non-negative integer, got ${seq}`);
      const rows = await db.query<{ seq: string | number }>(
        `INSERT INTO kradle_cursors (name, seq) VALUES ($1, $2)
         ON CONFLICT (name) DO UPDATE SET seq = GREATEST(kradle_cursors.seq, EXCLUDED.seq), updated_at = now()
         RETURNING seq`,
        [name, seq],
      );
      return Number(rows[0]!.seq);
    },
  };
}
