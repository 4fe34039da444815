import { Router } from '@koa/router';
import { BadRequestError, WaitingError } from '../errors/index.ts';
import type { ApprovalService } from './approvals.ts';
import type { DispatchService } from './dispatch-service.ts';
import type { MemoryImportService, MemoryService } from './memory/index.ts';
import { memoryImportRoutes } from './routes-memory.ts';
import { bearerOf, jsonBody, requireRole, str, type AgentContext } from './routes-http.ts';
import type { TriggerService } from './trigger-service.ts';
import type { TriggerEvent } from './triggers.ts';
import type { WorkspaceService } from './workspaces/index.ts';
import type { NotificationService } from './notifications/index.ts';
import { notificationRoutes } from './routes-notifications.ts';

export interface AgentRouteDeps {
  dispatch: DispatchService;
  approvals: ApprovalService;
  triggers: Pick<TriggerService, 'processEvent'>;
  memory?: MemoryService;
  memoryImports?: MemoryImportService;
  workspaces?: WorkspaceService;
  notifications?: NotificationService;
}

/** Same shape as the API's RouteDef, so the API can register these with its own auth guard and OpenAPI. */
export interface AgentRouteDef {
  method: 'GET' | 'POST';
  path: string;
  /** public: the handler checks its own credential (the per-run token); any: a valid API token, roles checked in the handler. */
  auth: 'public' | 'any';
  summary: string;
  /** The route reads or acts on only runtime records, so the API serves it for an org its revision does not declare. */
  runtimeOnly?: boolean;
  handler(ctx: AgentContext): Promise<void>;
}

const P = '/api/orgs/:org/agents';

function eventRoute(path: string, summary: string, toEvent: (b: Record<string, unknown>) => TriggerEvent, deps: AgentRouteDeps): AgentRouteDef {
  return {
    method: 'POST', path, auth: 'any', summary,
    async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      const event = toEvent(await jsonBody(ctx));
      ctx.body = { results: await deps.triggers.processEvent(ctx.params.org!, { actor: p.subject, ...event }) };
    },
  };
}

const source = (b: Record<string, unknown>) => ({ kind: str(b, 'kind')!, name: str(b, 'name')! });

export function agentRouteDefs(deps: AgentRouteDeps): AgentRouteDef[] {
  return [
    { method: 'POST', path: `${P}/dispatch`, auth: 'any', summary: 'Create an agent dispatch run', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      const b = await jsonBody(ctx);
      const ref = b.ref ?? b.sourceRef;
      const sourceRefs = Array.isArray(b.sourceRefs) ? b.sourceRefs : ref ? [ref] : [];
      ctx.status = 201;
      ctx.body = await deps.dispatch.create(ctx.params.org!, { stack: b.stack, repository: b.repository ?? b.repo, sourceRefs, taskKind: String(b.taskKind ?? 'manual'), requestedBy: p.subject, attemptNumber: b.attemptNumber as number | undefined, commit: b.commit as string | undefined });
    } },
    { method: 'POST', path: `${P}/runs/:name/retry`, auth: 'any', summary: 'Retry a Failed run as a new run with the next attempt number (§6.8)', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      ctx.status = 201;
      ctx.body = await deps.dispatch.retry(ctx.params.org!, ctx.params.name!, p.subject);
    } },
    { method: 'GET', path: `${P}/runs`, auth: 'any', runtimeOnly: true, summary: 'List agent dispatch runs', async handler(ctx) {
      requireRole(ctx, 'reader');
      const limit = typeof ctx.query.limit === 'string' ? Number(ctx.query.limit) : undefined;
      const cont = typeof ctx.query.continue === 'string' ? ctx.query.continue : undefined;
      ctx.body = await deps.dispatch.list(ctx.params.org!, { limit, continue: cont });
    } },
    { method: 'GET', path: `${P}/runs/:name`, auth: 'any', runtimeOnly: true, summary: 'Get an agent dispatch run', async handler(ctx) {
      requireRole(ctx, 'reader');
      ctx.body = await deps.dispatch.get(ctx.params.org!, ctx.params.name!);
    } },
    { method: 'POST', path: `${P}/runs/:name/callback`, auth: 'public', summary: 'Agent run callback (per-run bearer token)', async handler(ctx) {
      const token = bearerOf(ctx);
      await deps.dispatch.callback(ctx.params.org!, ctx.params.name!, token, await jsonBody(ctx));
      ctx.body = { ok: true };
    } },
    { method: 'POST', path: `${P}/runs/:name/steps`, auth: 'public', summary: 'Agent step reports, STEP_STARTED / STEP_COMPLETED (per-run bearer token)', async handler(ctx) {
      const run = await deps.dispatch.reportSteps(ctx.params.org!, ctx.params.name!, bearerOf(ctx), await jsonBody(ctx));
      ctx.body = { ok: true, steps: run.status.steps };
    } },
    { method: 'POST', path: `${P}/runs/:name/actions`, auth: 'public', summary: 'Ask before a gated action (§9.1): 200 allowed, 202 pending on an approval, 403 denied (per-run bearer token)', async handler(ctx) {
      const answer = await deps.dispatch.askAction(ctx.params.org!, ctx.params.name!, bearerOf(ctx), await jsonBody(ctx));
      ctx.status = answer.allowed ? 200 : 202;
      ctx.body = answer;
    } },
    { method: 'POST', path: `${P}/approvals/:name/decide`, auth: 'any', summary: 'Approve or deny an agent action', async handler(ctx) {
      const b = await jsonBody(ctx);
      // Passed through uncoerced: decide() refuses a decision or reason that is not a string.
      ctx.body = await deps.approvals.decide(ctx.params.org!, ctx.params.name!, { decision: b.decision as string, reason: b.reason as string | undefined }, ctx.state.principal);
    } },
    eventRoute(`${P}/webhooks/ingest`, 'Ingest a forge webhook event', (b) => ({
      type: 'webhook', source: { kind: str(b, 'event')!, name: String(b.delivery ?? b.id ?? '') || 'delivery' }, repository: b.repository as string | undefined,
      action: b.action as string | undefined, fork: b.fork === true, ...(b.delivery ? { uid: `webhook:${String(b.delivery)}` } : {}),
    }), deps),
    eventRoute(`${P}/events/pipeline-failure`, 'Pipeline failure event', (b) => ({ type: 'pipeline-failure', source: { kind: 'Pipeline', name: str(b, 'name')! }, repository: str(b, 'repository')!, ref: str(b, 'ref', false), fork: b.fork === true }), deps),
    eventRoute(`${P}/events/comment`, 'Comment event', (b) => ({ type: 'comment', source: source(b), body: str(b, 'body')!, repository: b.repository as string | undefined, fork: b.fork === true }), deps),
    eventRoute(`${P}/events/label`, 'Label event', (b) => ({ type: 'label', source: source(b), label: str(b, 'label')!, repository: b.repository as string | undefined, fork: b.fork === true }), deps),
    eventRoute(`${P}/triggers/process`, 'Process a trigger event', (b) => {
      const e = (b.event ?? b) as TriggerEvent;
      if (!e || typeof e.type !== 'string' || !e.source?.kind || !e.source?.name) throw new BadRequestError('event needs type and source {kind, name}');
      return e;
    }, deps),
    { method: 'POST', path: `${P}/memory/query`, auth: 'any', summary: 'Query agent memory at a pinned commit', async handler(ctx) {
      const p = requireRole(ctx, 'reader');
      const b = await jsonBody(ctx);
      if (!deps.memory) throw new WaitingError('agent memory is not configured on this server');
      ctx.body = await deps.memory.query(ctx.params.org!, {
        query: String(b.query ?? ''), mode: b.mode as 'graph' | 'grep' | undefined, kinds: b.kinds as string[] | undefined,
        memoryRepository: b.memoryRepository as string | undefined, ref: b.ref as string | undefined, snapshot: b.snapshot as string | undefined, requester: p.subject,
      });
    } },
    { method: 'POST', path: `${P}/memory/updates`, auth: 'any', summary: 'Propose an agent memory update (a commit on kradle/agent-memory/<run>)', async handler(ctx) {
      requireRole(ctx, 'writer');
      const b = await jsonBody(ctx);
      if (!deps.memory) throw new WaitingError('agent memory is not configured on this server');
      const update = await deps.memory.proposeUpdate(ctx.params.org!, { memoryRepository: b.memoryRepository as string | undefined, sourceRun: String(b.sourceRun ?? ''), changes: b.changes as never });
      // A gated write-back is accepted but waits for its approval: 202, the record names the approval.
      ctx.status = update.status.phase === 'AwaitingApproval' ? 202 : 201;
      ctx.body = update;
    } },
    ...memoryImportRoutes(deps.memoryImports),
    ...(deps.workspaces ? workspaceRoutes(deps.workspaces) : []),
    ...(deps.notifications ? notificationRoutes(deps.notifications) : []),
  ];
}

/** Workspaces are runtime records, and archiving one (its PVC released) must stay possible after its org left the revision. */
function workspaceRoutes(ws: WorkspaceService): AgentRouteDef[] {
  return [
    { method: 'GET', path: `${P}/workspaces`, auth: 'any', runtimeOnly: true, summary: 'List managed agent workspaces (§7) with their phase and claiming run', async handler(ctx) {
      requireRole(ctx, 'reader');
      const limit = typeof ctx.query.limit === 'string' ? Number(ctx.query.limit) : undefined;
      ctx.body = await ws.list(ctx.params.org!, { limit, continue: typeof ctx.query.continue === 'string' ? ctx.query.continue : undefined });
    } },
    { method: 'POST', path: `${P}/workspaces/:name/archive`, auth: 'any', runtimeOnly: true, summary: 'Archive a workspace: its PVC is released, its record kept (at once when Ready, at release when InUse)', async handler(ctx) {
      const p = requireRole(ctx, 'writer');
      ctx.status = 202;
      ctx.body = await ws.archive(ctx.params.org!, ctx.params.name!, p.subject);
    } },
  ];
}

/** The agent routes as a @koa/router Router; roles are checked in each handler from ctx.state.principal. */
export function createAgentRoutes(deps: AgentRouteDeps): Router {
  const router = new Router();
  for (const r of agentRouteDefs(deps)) {
    router.register(r.path, [r.method], async (ctx, next) => {
      await r.handler(ctx as unknown as AgentContext);
      return next();
    });
  }
  return router;
}
