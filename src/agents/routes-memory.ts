import { WaitingError } from '../errors/index.ts';
import type { MemoryImportService } from './memory/index.ts';
import { jsonBody, requireRole } from './routes-http.ts';
import type { AgentRouteDef } from './routes.ts';

const P = '/api/orgs/:org/agents/memory/imports';

function need(svc: MemoryImportService | undefined): MemoryImportService {
  if (!svc) throw new WaitingError('agent memory is not configured on this server');
  return svc;
}

/** §8 memory import routes: create (writer), list/get (reader), approve/reject (writer or admin of the org). */
export function memoryImportRoutes(imports: MemoryImportService | undefined): AgentRouteDef[] {
  return [
    { method: 'POST', path: P, auth: 'any', summary: 'Import run memory into the company brain (redaction, normalization, validation, review)', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      const b = await jsonBody(ctx);
      const source = (b.source ?? {}) as { kind?: string; name?: string };
      ctx.status = 201;
      ctx.body = await need(imports).collect(ctx.params.org!, {
        memoryRepository: b.memoryRepository as string | undefined,
        source: { kind: source.kind === 'AgentSession' ? 'AgentSession' : 'AgentDispatchRun', name: String(source.name ?? '') },
        entries: b.entries, include: b.include as string[] | undefined, transcriptRef: b.transcriptRef as string | undefined,
        confidenceThreshold: b.confidenceThreshold as number | undefined, actor: p.subject,
      });
    } },
    { method: 'GET', path: P, auth: 'any', runtimeOnly: true, summary: 'List memory imports', async handler(ctx) {
      requireRole(ctx, 'reader');
      const limit = typeof ctx.query.limit === 'string' ? Number(ctx.query.limit) : undefined;
      const cont = typeof ctx.query.continue === 'string' ? ctx.query.continue : undefined;
      ctx.body = await need(imports).list(ctx.params.org!, { limit, continue: cont });
    } },
    { method: 'GET', path: `${P}/:name`, auth: 'any', runtimeOnly: true, summary: 'Get a memory import', async handler(ctx) {
      requireRole(ctx, 'reader');
      ctx.body = await need(imports).get(ctx.params.org!, ctx.params.name!);
    } },
    { method: 'POST', path: `${P}/:name/approve`, auth: 'any', summary: 'Approve a memory import awaiting review (then it is merged)', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      const b = await jsonBody(ctx);
      ctx.body = await need(imports).approve(ctx.params.org!, ctx.params.name!, p.subject, b.notes as string | undefined);
    } },
    // Unlike approve, which merges into the memory repository the revision declares, a rejection only closes the record.
    { method: 'POST', path: `${P}/:name/reject`, auth: 'any', runtimeOnly: true, summary: 'Reject a memory import awaiting review (a reason is required)', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      const b = await jsonBody(ctx);
      ctx.body = await need(imports).reject(ctx.params.org!, ctx.params.name!, p.subject, String(b.reason ?? ''));
    } },
  ];
}
