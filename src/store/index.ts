// store/ owns Postgres (PGlite or pg): migrations, runtime kinds, events, inventory, sync runs, audit, leader locks.
// It must not hold domain logic of other modules, read process.env, or let pg/PGlite types leak out of this folder.
export type * from './types.ts';
export { createStore, type StoreOptions } from './create-store.ts';
export { auditDigest } from './audit.ts';
export { listMigrations, MIGRATIONS_DIR } from './migrate.ts';
export { labelMatcher, parseLabelSelector, type Requirement } from './label-selector.ts';
