/**
 * Rows per statement of a bulk write. PGlite's WebAssembly memory grows to the largest statement it ran and never
 * shrinks: one upsert of 20,000 inventory rows (a 7 MB JSON parameter, parsed to jsonb and a record set) grew it
 * by 87 MB for the life of the process. Batches this size keep a statement's working memory to a few MB, and on a
 * server cost a round trip per batch.
 */
export const BATCH_ROWS = 1000;

/** `rows` in batches of at most `size`, in order. */
export function* batches<T>(rows: readonly T[], size = BATCH_ROWS): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
