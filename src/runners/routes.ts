import type { AgentRouteDef } from '../agents/routes.ts';
import { jsonBody, requireRole, str } from '../agents/routes-http.ts';
import type { RunnerAssigner } from './assigner.ts';
import type { RunnerRegistry } from './registry.ts';

const P = '/api/orgs/:org/runners/pools/:pool';

/** Runner routes: a runner registers when it starts and is marked Terminating before it stops; the pool's status counts them. */
export function runnerRoutes(runners: RunnerRegistry, assigner?: Pick<RunnerAssigner, 'poke'>): AgentRouteDef[] {
  return [
    { method: 'GET', path: P, auth: 'any', summary: 'A runner pool\'s runners (Idle / Running / Terminating), their counts and the pool phase', async handler(ctx) {
      requireRole(ctx, 'reader');
      ctx.body = await runners.pool(ctx.params.org!, ctx.params.pool!);
    } },
    { method: 'POST', path: `${P}/runners`, auth: 'any', summary: 'Register a runner of the pool ({name}); it is Idle until a queued Job is assigned to it', async handler(ctx) {
      requireRole(ctx, 'writer');
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
