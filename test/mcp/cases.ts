// The checks of the MCP server, run the same over stdio and streamable HTTP. Never imported from src/.
import type { ExecutionContext } from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { fakeWriter } from '../support/api-fakes.ts';

type Result = { isError?: boolean; structuredContent?: any; content: { type: string; text?: string }[] };

export const TOOL_NAMES = [
  'kradle_list_resources', 'kradle_get_resource', 'kradle_apply_resource', 'kradle_delete_resource', 'kradle_snapshot', 'kradle_search',
  'kradle_list_stacks', 'kradle_create_stack', 'kradle_dispatch_agent', 'kradle_list_secrets', 'kradle_create_secret',
  'kradle_sync_external', 'kradle_resolve_conflict', 'kradle_audit_query',
];

export interface Sessions {
  /** A writer of `org`. */
  writer: Client;
  /** A reader of `org`. */
  reader: Client;
  org: string;
  /** An org the tokens above have no role on. */
  other: string;
  writes: ReturnType<typeof fakeWriter>['requests'];
  /** Unique suffix for names this run creates. */
  tag: string;
}

/** The text of a resource's first content (ours are JSON text, never blobs). */
const textOf = (r: { contents: ({ text: string } | { blob: string })[] }) => (r.contents[0] as { text: string }).text;

const call = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as Result;

async function ok(t: ExecutionContext, c: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const r = await call(c, name, args);
  t.falsy(r.isError, `${name} ${JSON.stringify(args)}: ${r.content[0]?.text}`);
  t.deepEqual(JSON.parse(r.content[0]!.text!), r.structuredContent.result ?? r.structuredContent);
  return r.structuredContent;
}

async function fails(t: ExecutionContext, c: Client, name: string, args: Record<string, unknown>, code: string): Promise<Result> {
  const r = await call(c, name, args);
  t.true(r.isError, `${name} ${JSON.stringify(args)} should fail with ${code}`);
  t.is(r.structuredContent?.error?.code, code, `${name}: ${r.content[0]?.text}`);
  t.true(r.content[0]!.text!.startsWith(`${code}: `));
  return r;
}

export async function listsTools(t: ExecutionContext, s: Sessions): Promise<void> {
  const { tools } = await s.reader.listTools();
  t.deepEqual(tools.map((x) => x.name).sort(), [...TOOL_NAMES].sort());
  for (const tool of tools) {
    t.is(tool.inputSchema.type, 'object');
    t.truthy(tool.description);
  }
  const byName = new Map(tools.map((x) => [x.name, x.inputSchema as { required?: string[]; properties: Record<string, unknown> }]));
  t.deepEqual(byName.get('kradle_create_secret')!.required, ['name', 'org', 'agentRef', 'secretRef']);
  t.deepEqual(byName.get('kradle_get_resource')!.required, ['kind', 'name']);
  t.deepEqual(Object.keys(byName.get('kradle_audit_query')!.properties).sort(), ['action', 'limit', 'offset', 'org', 'since', 'until']);
}

/** Every tool once with a good and once with a bad input. */
export async function callsEveryTool(t: ExecutionContext, s: Sessions): Promise<void> {
  const { writer: w, org, tag } = s;
  const repo = `web-${tag}`;
  const listed = await ok(t, w, 'kradle_list_resources', { kind: 'AgentStack' });
  t.true(listed.items.some((i: any) => i.metadata.name === 'fixer'));
  t.true(listed.items.every((i: any) => i.kind === 'AgentStack'));
  await fails(t, w, 'kradle_list_resources', { kind: 'NoSuchKind' }, 'BAD_REQUEST');

  const got = await ok(t, w, 'kradle_get_resource', { kind: 'AgentStack', name: 'fixer' });
  t.is(got.spec.adapter, 'mux');
  await fails(t, w, 'kradle_get_resource', { kind: 'AgentStack', name: 'nope' }, 'NOT_FOUND');

  const before = s.writes.length;
  const applied = await ok(t, w, 'kradle_apply_resource', { resource: { kind: 'Repository', metadata: { name: repo }, spec: { visibility: 'private' } } });
  t.is(applied.operation, 'create');
  t.truthy(applied.commit);
  t.is(s.writes.length, before + 1);
  t.like(s.writes.at(-1), { operation: 'apply', org, kind: 'Repository', name: repo, author: { name: `writer-of-${org}` } });
  await fails(t, w, 'kradle_apply_resource', { resource: { kind: 'Repository', metadata: { name: 'Not A Name' }, spec: {} } }, 'VALIDATION_FAILED');
  await fails(t, w, 'kradle_apply_resource', { resource: 'not an object' }, 'VALIDATION_FAILED');

  const deleted = await ok(t, w, 'kradle_delete_resource', { kind: 'Repository', name: repo });
  t.is(deleted.operation, 'delete');
  t.like(s.writes.at(-1), { operation: 'delete', kind: 'Repository', name: repo });
  await fails(t, w, 'kradle_delete_resource', { kind: 'Repository', name: repo }, 'NOT_FOUND');

  const snap = await ok(t, w, 'kradle_snapshot', {});
  t.is(snap.org, org);
  t.true(snap.config.some((d: any) => d.kind === 'AgentStack' && d.metadata.name === 'fixer'));
  await fails(t, w, 'kradle_snapshot', { unknown: 1 }, 'VALIDATION_FAILED');

  const found = await ok(t, w, 'kradle_search', { query: 'WSS://mux.example' });
  t.deepEqual(found.items.map((i: any) => `${i.kind}/${i.name}`), ['AgentTransportBinding/mux-gw']);
  await fails(t, w, 'kradle_search', { query: '' }, 'VALIDATION_FAILED');

  const stacks = await ok(t, w, 'kradle_list_stacks', {});
  t.like(stacks.items.find((x: any) => x.name === 'fixer'), { ready: 'False', conditions: [{ type: 'McpHealthy', status: 'False' }] });
  await fails(t, w, 'kradle_list_stacks', { org: s.other }, 'FORBIDDEN');

  const stack = `st-${tag}`;
  const created = await ok(t, w, 'kradle_create_stack', { name: stack, org, baseAgent: 'claude-code', adapter: 'mux', runtimeIdentity: 'fixer-bot' });
  t.is(created.operation, 'create');
  t.like(s.writes.at(-1), { kind: 'AgentStack', name: stack, resource: { spec: { baseAgent: 'claude-code', adapter: 'mux', runtimeIdentity: 'fixer-bot' } } });
  await fails(t, w, 'kradle_create_stack', { name: 'x' }, 'VALIDATION_FAILED');

  const run = await ok(t, w, 'kradle_dispatch_agent', { stackRef: 'fixer', repository: 'api', ref: 'refs/heads/main' });
  t.is(run.kind, 'AgentDispatchRun');
  t.is(run.status.stackRef, 'fixer');
  await fails(t, w, 'kradle_dispatch_agent', { repository: 'api' }, 'VALIDATION_FAILED');

  const grant = `g-${tag}`;
  const granted = await ok(t, w, 'kradle_create_secret', { name: grant, org, agentRef: 'fixer-bot', secretRef: 'anthropic-key' });
  t.is(granted.operation, 'create');
  t.like(s.writes.at(-1), { kind: 'AgentSecretGrant', name: grant, resource: { spec: { subject: 'fixer-bot', secretRef: 'anthropic-key', purpose: 'mcp' } } });
  await fails(t, w, 'kradle_create_secret', { name: grant, org, agentRef: 'fixer-bot' }, 'VALIDATION_FAILED');

  const grants = await ok(t, w, 'kradle_list_secrets', {});
  t.true(grants.items.some((g: any) => g.metadata.name === grant));
  await fails(t, w, 'kradle_list_secrets', { org: s.other }, 'FORBIDDEN');

  const synced = await ok(t, w, 'kradle_sync_external', { bindingName: 'jira', kind: 'Issue', localName: `is-${tag}`, spec: { title: 'from jira', repository: 'api' }, externalEnvelope: { id: `J-${tag}`, version: 1 } });
  t.is(synced.outcome, 'applied');
  await fails(t, w, 'kradle_sync_external', { bindingName: 'nope', kind: 'Issue', localName: 'x', spec: { title: 'x', repository: 'api' }, externalEnvelope: { id: 'J', version: 1 } }, 'NOT_FOUND');

  const conflict = `c-${tag}`;
  await ok(t, w, 'kradle_apply_resource', { resource: { kind: 'ExternalSyncConflict', metadata: { name: conflict }, spec: { providerRef: 'jira', bindingRef: 'jira', resourceRef: { kind: 'Issue', name: `is-${tag}` }, conflictKind: 'update-update', local: { title: 'kept here', repository: 'api' }, external: { title: 'from jira', repository: 'api' } } } });
  const resolved = await ok(t, w, 'kradle_resolve_conflict', { conflictName: conflict, strategy: 'prefer-kradle' });
  t.is(resolved.conflict.status.phase, 'Resolved');
  t.is(resolved.conflict.status.resolvedBy, `writer-of-${org}`);
  await fails(t, w, 'kradle_resolve_conflict', { conflictName: conflict, strategy: 'coin-flip' }, 'VALIDATION_FAILED');

  const audit = await ok(t, w, 'kradle_audit_query', { action: 'apply', limit: 100 });
  t.true(audit.items.some((e: any) => e.resource?.name === repo && e.actor === `writer-of-${org}`));
  t.true(audit.items.every((e: any) => e.org === org));
  await fails(t, w, 'kradle_audit_query', { since: 'last tuesday' }, 'BAD_REQUEST');
}

/** A reader reads but never writes; nobody reaches another org. */
export async function enforcesRolesAndOrgs(t: ExecutionContext, s: Sessions): Promise<void> {
  const before = s.writes.length;
  await ok(t, s.reader, 'kradle_get_resource', { kind: 'AgentStack', name: 'fixer' });
  for (const [name, args] of [
    ['kradle_apply_resource', { resource: { kind: 'Repository', metadata: { name: `r-${s.tag}` }, spec: { visibility: 'private' } } }],
    ['kradle_delete_resource', { kind: 'AgentStack', name: 'fixer' }],
    ['kradle_create_stack', { name: `r-${s.tag}`, org: s.org, baseAgent: 'a', adapter: 'mux', runtimeIdentity: 'fixer-bot' }],
    ['kradle_create_secret', { name: `r-${s.tag}`, org: s.org, agentRef: 'fixer-bot', secretRef: 'anthropic-key' }],
    ['kradle_dispatch_agent', { stackRef: 'fixer' }],
  ] as const) {
    await fails(t, s.reader, name, args, 'FORBIDDEN');
  }
  t.is(s.writes.length, before, 'no commit by a reader');
  for (const [name, args] of [
    ['kradle_list_resources', { kind: 'AgentStack', org: s.other }],
    ['kradle_get_resource', { kind: 'AgentStack', name: 'fixer', org: s.other }],
    ['kradle_snapshot', { org: s.other }],
    ['kradle_search', { query: 'fixer', org: s.other }],
    ['kradle_audit_query', { org: s.other }],
    ['kradle_create_stack', { name: 'x', org: s.other, baseAgent: 'a', adapter: 'mux', runtimeIdentity: 'fixer-bot' }],
  ] as const) {
    const r = await fails(t, s.writer, name, args, 'FORBIDDEN');
    t.false(JSON.stringify(r).includes(`kradle-org-${s.other}`));
  }
  const rs = await s.writer.readResource({ uri: 'kradle://snapshot' });
  t.false(textOf(rs).includes(s.other));
}

export async function servesPromptsAndResources(t: ExecutionContext, s: Sessions): Promise<void> {
  const { prompts } = await s.reader.listPrompts();
  t.deepEqual(prompts.map((p) => p.name).sort(), ['kradle_stack_config', 'kradle_troubleshoot', 'kradle_workspace_setup']);
  const text = async (name: string, args: Record<string, string> = {}) => {
    const p = await s.reader.getPrompt({ name, arguments: args });
    t.is(p.messages[0]!.role, 'user');
    return (p.messages[0]!.content as { text: string }).text;
  };
  const trouble = await text('kradle_troubleshoot');
  t.regex(trouble, new RegExp(`orgs/${s.org}/agentstacks/broken\\.yaml:7:3: SCHEMA spec\\.adapter is required`));
  t.regex(trouble, /AgentStack\/fixer: McpHealthy=False \(MissingMcpServer\): AgentMcpServer\/github not found/);
  t.regex(trouble, /Agent runs in Failed \(1\):\n- run-\S+ \(stack ghost\): AgentStack ghost not found/);
  const stack = await text('kradle_stack_config', { stack: 'fixer' });
  t.regex(stack, /Stack fixer: Ready=False/);
  t.regex(stack, /to fix: McpHealthy=False/);
  t.regex(await text('kradle_stack_config', { stack: 'ghost' }), /has no AgentStack ghost/);
  const setup = await text('kradle_workspace_setup');
  t.regex(setup, /AgentStack: \d+ declared/);
  t.regex(setup, new RegExp(`RunnerPool: none yet; add orgs/${s.org}/runnerpools/<name>\\.yaml`));
  await t.throwsAsync(s.reader.getPrompt({ name: 'kradle_troubleshoot', arguments: { org: s.other } }), { message: /FORBIDDEN/ });

  const { resources } = await s.reader.listResources();
  t.deepEqual(resources.map((r) => [r.uri, r.mimeType]), [['kradle://snapshot', 'application/json'], ['kradle://stacks', 'application/json']]);
  const snap = JSON.parse(textOf(await s.reader.readResource({ uri: 'kradle://snapshot' })));
  t.is(snap.org, s.org);
  t.true(snap.config.some((d: any) => d.metadata.name === 'fixer'));
  const stacks = JSON.parse(textOf(await s.reader.readResource({ uri: 'kradle://stacks' })));
  t.like(stacks.items.find((x: any) => x.name === 'fixer'), { ready: 'False' });
  // Resource not found is -32002 with the URI in data (MCP spec, server/resources), not Invalid params.
  const missing = await t.throwsAsync<Error & { data?: unknown }>(s.reader.readResource({ uri: 'kradle://nothing' }), { code: -32002 });
  t.deepEqual(missing?.data, { uri: 'kradle://nothing' });
}
