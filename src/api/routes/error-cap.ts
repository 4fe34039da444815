import type { SyncRun } from '../../store/types.ts';

/** How many errors a status or summary carries; the full list of a run is paged at /api/sync/runs/:id/errors. */
export const ERROR_CAP = 100;

/** The first ERROR_CAP errors and how many there were: a revision with 100,000 errors stays a small response. */
export function capErrors<T>(errors: readonly T[]): { errors: T[]; errorCount: number } {
  return { errors: errors.slice(0, ERROR_CAP), errorCount: errors.length };
}

/** A run as responses show it: its errors filtered to what the caller may see, then capped. */
export function runView(run: SyncRun, visible: (e: SyncRun['errors'][number]) => boolean = () => true): Omit<SyncRun, 'errors'> & ReturnType<typeof capErrors<SyncRun['errors'][number]>> {
  return { ...run, ...capErrors(run.errors.filter(visible)) };
}

/** The errors of an org's files: run errors name files of every org, and an org token sees only its own. */
export const inOrg = (org: string) => (e: { path?: string }) => e.path?.startsWith(`orgs/${org}/`) === true;
