import test from 'ava';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { uniqueName } from '../support/store.ts';
import { callsEveryTool, enforcesRolesAndOrgs, listsTools, servesPromptsAndResources, type Sessions } from './cases.ts';
import { KRADLE_BIN, runKradle } from '../support/kradle-cli.ts';
import { httpClient as http, mcpWorld } from './support.ts';

const setup = mcpWorld(test);
const [org, other] = [uniqueName('mcp'), uniqueName('mcpo')];

/** One world for the file (PGlite and the test API server are costly); each transport works in it with names of its own. */
const world = (async () => {
  const s = await setup([org, other]);
  s.config.setErrors([{ code: 'SCHEMA', message: 'spec.adapter is required', path: `orgs/${org}/agentstacks/broken.yaml`, line: 7, column: 3 }]);
  await s.w.dispatch.create(org, { stack: 'ghost', repository: 'api', sourceRefs: ['refs/heads/main'], taskKind: 'fix', requestedBy: 'alice' });
  return { ...s, tokens: { writer: await s.token(org, 'writer'), reader: await s.token(org, 'reader'), platform: await s.token('*', 'admin') } };
})();

async function stdio(url: string, token: string, extraEnv: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'kradle-test', version: '1' });
  const env = { ...(process.env as Record<string, string>), KRADLE_SERVER: url, KRADLE_TOKEN: token, ...extraEnv };
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [KRADLE_BIN, 'mcp'], env, stderr: 'pipe' }));
  return client;
}

for (const [transport, open] of [['streamable HTTP', http], ['stdio', stdio]] as const) {
  test.serial(`${transport}: 14 tools with schemas, each called with a good and a bad input; roles and orgs enforced; prompts and resources`, async (t) => {
    const s = await world;
    const sessions: Sessions = {
      writer: await open(s.api.url, s.tokens.writer), reader: await open(s.api.url, s.tokens.reader),
      org, other, writes: s.writer.requests, tag: transport === 'stdio' ? 'io' : 'ht',
    };
    t.teardown(async () => {
      await sessions.writer.close();
      await sessions.reader.close();
    });
    await listsTools(t, sessions);
    await callsEveryTool(t, sessions);
    await enforcesRolesAndOrgs(t, sessions);
    await servesPromptsAndResources(t, sessions);
  });
}

test.serial('streamable HTTP: no token is a 401; an org the token may not act on is a 403; a platform token picks its org with ?org=', async (t) => {
  const s = await world;
  const post = (headers: Record<string, string>, query = '') => fetch(`${s.api.url}/mcp${query}`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
  const anonymous = await post({});
  t.is(anonymous.status, 401);
  t.is(((await anonymous.json()) as any).error.code, 'UNAUTHORIZED');
  const stream = await fetch(`${s.api.url}/mcp`, { headers: { authorization: `Bearer ${s.tokens.writer}`, accept: 'text/event-stream' } });
  t.is(stream.status, 405, 'stateless: no server-initiated stream');
  await stream.body?.cancel();
  const foreign = await post({ authorization: `Bearer ${s.tokens.writer}` }, `?org=${other}`);
  t.is(foreign.status, 403);
  const platform = await http(s.api.url, s.tokens.platform, `?org=${other}`);
  t.teardown(() => platform.close());
  const snap = (await platform.callTool({ name: 'kradle_snapshot', arguments: {} })) as any;
  t.is(snap.structuredContent.org, other);
  const unscoped = await http(s.api.url, s.tokens.platform);
  t.teardown(() => unscoped.close());
  const r = (await unscoped.callTool({ name: 'kradle_snapshot', arguments: {} })) as any;
  t.true(r.isError);
  t.is(r.structuredContent.error.code, 'BAD_REQUEST');
});

test.serial('stdio: --org beyond the token is refused per call; kradle stacks lists readiness as text and JSON', async (t) => {
  const s = await world;
  const c = await stdio(s.api.url, s.tokens.reader, { KRADLE_ORG: other });
  t.teardown(() => c.close());
  const r = (await c.callTool({ name: 'kradle_list_stacks', arguments: {} })) as any;
  t.is(r.structuredContent.error.code, 'FORBIDDEN');
  const env = { KRADLE_SERVER: s.api.url, KRADLE_TOKEN: s.tokens.reader };
  const json = await runKradle(['stacks', '--format', 'json'], { env });
  t.is(json.code, 0, json.stderr);
  const listed = JSON.parse(json.stdout);
  t.is(listed.org, org);
  t.like(listed.items.find((x: any) => x.name === 'fixer'), { ready: 'False' });
  const text = await runKradle(['stacks', '--org', org], { env });
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^NAME\s+READY\s+NOT READY\n/);
  t.regex(text.stdout, /fixer\s+False\s+McpHealthy \(MissingMcpServer\)/);
  const denied = await runKradle(['stacks', '--org', other], { env });
  t.is(denied.code, 1);
  t.regex(denied.stderr, /403 FORBIDDEN/);
});

test.serial("kradle_dispatch_agent with the spec's input {stackRef} alone dispatches on the org's only Repository at its default branch", async (t) => {
  const s = await world;
  const c = await http(s.api.url, s.tokens.writer);
  t.teardown(() => c.close());
  const r = (await c.callTool({ name: 'kradle_dispatch_agent', arguments: { stackRef: 'fixer' } })) as any;
  t.falsy(r.isError, r.content[0]?.text);
  t.like(r.structuredContent, { kind: 'AgentDispatchRun', spec: { agentStack: 'fixer', repository: 'api', sourceRefs: ['refs/heads/main'] }, status: { stackRef: 'fixer' } });
});

test.serial('a platform token asking for an org that does not exist gets NOT_FOUND from kradle_snapshot and kradle_search, as from kradle_troubleshoot', async (t) => {
  const s = await world;
  const c = await http(s.api.url, s.tokens.platform);
  t.teardown(() => c.close());
  for (const [name, args] of [['kradle_snapshot', { org: 'nosuch' }], ['kradle_search', { query: 'fixer', org: 'nosuch' }]] as const) {
    const r = (await c.callTool({ name, arguments: args })) as any;
    t.true(r.isError, `${name}: ${r.content[0]?.text}`);
    t.is(r.structuredContent?.error?.code, 'NOT_FOUND', name);
    t.regex(r.content[0].text, /^NOT_FOUND: organization nosuch not found/);
  }
  await t.throwsAsync(c.getPrompt({ name: 'kradle_troubleshoot', arguments: { org: 'nosuch' } }), { message: /NOT_FOUND/ });
  const snap = (await c.callTool({ name: 'kradle_snapshot', arguments: { org } })) as any;
  t.falsy(snap.isError, snap.content[0]?.text);
  t.true(snap.structuredContent.config.some((d: any) => d.kind === 'AgentStack' && d.metadata.name === 'fixer'));
});
