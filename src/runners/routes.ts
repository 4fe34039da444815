import type { AgentRouteDef } from '../agents/routes.ts';
import { jsonBody, requireRole, str } from '../agents/routes-http.ts';
import { NotFoundError } from '../errors/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { RunnerAssigner } from './assigner.ts';
import type { RunnerRegistry } from './registry.ts';

const P = '/api/orgs/:org/runners/pools/:pool';

/**
 * A pool the loaded revision does not declare (a typo in a runner's settings) has no runners to show and takes
 * none: a 404 names it, where an empty pool would look like one whose runners have not started.
 */
function requirePool(state: DesiredState | undefined, org: string, pool: string): void {
  if (state && !state.get('RunnerPool', org, pool)) throw new NotFoundError(`RunnerPool ${pool} not found in org ${org}`);
}

/** Runner routes: a runner registers when it starts and is marked Terminating before it stops; the pool's status counts them. */
export function runnerRoutes(runners: RunnerRegistry, desired: () => DesiredState | undefined, assigner?: Pick<RunnerAssigner, 'poke'>): AgentRouteDef[] {
  return [
    { method: 'GET', path: P, auth: 'any', summary: 'A runner pool\'s runners (Idle / Running / Terminating), their counts and the pool phase', async handler(ctx) {
      requireRole(ctx, 'reader');
      requirePool(desired(), ctx.params.org!, ctx.params.pool!);
      ctx.body = await runners.pool(ctx.params.org!, ctx.params.pool!);
    } },
    { method: 'POST', path: `${P}/runners`, auth: 'any', summary: 'Register a runner of the pool ({name}); it is Idle until a queued Job is assigned to it', async handler(ctx) {
      requireRole(ctx, 'writer');
      requirePool(desired(), ctx.params.org!, ctx.params.pool!);
      const runner = await runners.register(ctx.params.org!, ctx.params.pool!, str(await jsonBody(ctx), 'name')!);
      await assigner?.poke();
      ctx.status = 201;
      ctx.body = runner;
    } },
    // A runner leaving acts on its own record only, and must still be able to once its org leaves the revision.
    { method: 'POST', path: `${P}/runners/:name/terminate`, auth: 'any', runtimeOnly: true, summary: 'Mark a runner Terminating: it takes no new Job and leaves when its Job ends', async handler(ctx) {
      requireRole(ctx, 'writer');
      ctx.body = await runners.terminate(ctx.params.org!, ctx.params.pool!, ctx.params.name!);
    } },
  ];
}
