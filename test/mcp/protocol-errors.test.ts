import test from 'ava';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { createApiClient } from '../../src/cli/client.ts';
import { createMcpServer } from '../../src/mcp/index.ts';
import { uniqueName } from '../support/store.ts';
import { httpClient, mcpWorld } from './support.ts';

const setup = mcpWorld(test);
const [org, other] = [uniqueName('mcpe'), uniqueName('mcpf')];

const world = (async () => {
  const s = await setup([org, other]);
  return { ...s, writer: await s.token(org, 'writer') };
})();

/** One JSON-RPC request posted as is: the official client checks params before sending, so malformed ones go raw. */
async function rpc(url: string, token: string, method: string, params: unknown): Promise<{ result?: any; error?: { code: number; message: string } }> {
  const res = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return (await res.json()) as any;
}

test('a request whose params do not fit its method is -32602 Invalid params naming the param, not -32603', async (t) => {
  const s = await world;
  for (const [method, params, param] of [
    ['tools/call', {}, 'params.name'],
    ['tools/call', { name: 5 }, 'params.name'],
    ['tools/call', { name: 'kradle_snapshot', arguments: 'x' }, 'params.arguments'],
    ['tools/call', { name: 'kradle_snapshot', arguments: [] }, 'params.arguments'],
    ['prompts/get', {}, 'params.name'],
    ['prompts/get', { name: 'kradle_troubleshoot', arguments: { org: 5 } }, 'params.arguments.org'],
    ['resources/read', {}, 'params.uri'],
    ['resources/read', { uri: 3 }, 'params.uri'],
    ['tools/list', { cursor: 4 }, 'params.cursor'],
  ] as const) {
    const label = `${method} ${JSON.stringify(params)}`;
    const { error } = await rpc(s.api.url, s.writer, method, params);
    t.is(error?.code, -32602, label);
    t.regex(error?.message ?? '', new RegExp(`^invalid params for ${method}: .* at ${param.replace(/\./g, '\\.')}$`), label);
  }
  const ok = await rpc(s.api.url, s.writer, 'tools/call', { name: 'kradle_snapshot', arguments: {} });
  t.is(ok.result?.structuredContent?.org, org, 'well-formed params still reach the tool');
  t.is((await rpc(s.api.url, s.writer, 'completion/complete', { nonsense: true })).error?.code, -32601, 'a method not served is still Method not found');
});

test('an error the server answers with reaches the official client carrying its "MCP error <code>: " prefix once', async (t) => {
  const s = await world;
  const c = await httpClient(s.api.url, s.writer);
  t.teardown(() => c.close());
  for (const [call, code, message] of [
    [() => c.callTool({ name: 'nope', arguments: {} }), -32602, 'unknown tool nope'],
    [() => c.getPrompt({ name: 'nope' }), -32602, 'unknown prompt nope'],
    [() => c.readResource({ uri: 'kradle://nothing' }), -32002, 'unknown resource kradle://nothing'],
    [() => c.getPrompt({ name: 'kradle_troubleshoot', arguments: { org: other } }), -32600, `FORBIDDEN: the token is not valid for org ${other}`],
  ] as const) {
    const err = await t.throwsAsync(call(), { instanceOf: McpError });
    t.is(err?.message, `MCP error ${code}: ${message}`);
    t.is((err as McpError).code, code);
  }
});

test("arguments failing a tool's JSON Schema are a tool result with isError, whose text names each argument, not a protocol error", async (t) => {
  const s = await world;
  const c = await httpClient(s.api.url, s.writer);
  t.teardown(() => c.close());
  const call = async (name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as { isError?: boolean; content: { text: string }[]; structuredContent: any };

  const bad = await call('kradle_get_resource', { kind: 5, extra: 1 });
  t.true(bad.isError);
  t.is(bad.structuredContent.error.code, 'VALIDATION_FAILED');
  t.deepEqual(bad.structuredContent.error.details.map((d: any) => d.field).sort(), ['extra', 'kind', 'name']);
  const lines = bad.content[0]!.text.split('\n');
  t.is(lines[0], 'VALIDATION_FAILED: invalid arguments for kradle_get_resource');
  t.deepEqual(lines.slice(1).sort(), ['- extra: is not a known field', '- kind: must be string', '- name: is required']);

  const nested = await call('kradle_apply_resource', { resource: { metadata: { name: 'x' } } });
  t.true(nested.isError);
  t.is(nested.content[0]!.text, 'VALIDATION_FAILED: invalid arguments for kradle_apply_resource\n- resource.kind: is required');

  // The API's own validation details reach the text the same way.
  const refused = await call('kradle_apply_resource', { resource: { kind: 'Repository', metadata: { name: 'okname' }, spec: { visibility: 5 } } });
  t.true(refused.isError);
  t.regex(refused.content[0]!.text, /^VALIDATION_FAILED: Repository okname is invalid\n- \/spec\/visibility: must be string$/);
});

test('the official client without a token, or with a token for another org, fails to connect with the HTTP 401 or 403 and the envelope', async (t) => {
  const s = await world;
  for (const [token, query, status, code] of [
    ['', '', 401, 'UNAUTHORIZED'],
    ['krd_not-a-token', '', 401, 'UNAUTHORIZED'],
    [s.writer, `?org=${other}`, 403, 'FORBIDDEN'],
  ] as const) {
    const err = await t.throwsAsync(httpClient(s.api.url, token, query), { instanceOf: StreamableHTTPError });
    t.is((err as StreamableHTTPError).code, status);
    t.regex(err!.message, new RegExp(`"code":"${code}"`));
    t.false(err!.message.includes(s.writer), 'the token is never echoed');
  }
  // Connected in its own org, the token reaches no other: a tool says FORBIDDEN in its result, a prompt in a JSON-RPC error.
  const c = await httpClient(s.api.url, s.writer);
  t.teardown(() => c.close());
  const r = (await c.callTool({ name: 'kradle_snapshot', arguments: { org: other } })) as { isError?: boolean; structuredContent: any };
  t.true(r.isError);
  t.is(r.structuredContent.error.code, 'FORBIDDEN');
  const err = await t.throwsAsync<McpError>(c.getPrompt({ name: 'kradle_workspace_setup', arguments: { org: other } }), { instanceOf: McpError });
  t.like(err, { code: -32600, data: { code: 'FORBIDDEN', status: 403 } });
});

test("a prompt or resource whose API call fails on the server's side is -32603 Internal error; the caller's own error stays -32600", async (t) => {
  const envelope = (status: number, code: string) => new Response(JSON.stringify({ error: { code, message: `${code.toLowerCase()} here`, details: [] } }), { status, headers: { 'content-type': 'application/json' } });
  for (const [fetch, code, envelopeCode] of [
    [async () => envelope(500, 'INTERNAL'), -32603, 'INTERNAL'],
    [async () => { throw new TypeError('fetch failed'); }, -32603, 'UNREACHABLE'],
    [async () => envelope(403, 'FORBIDDEN'), -32600, 'FORBIDDEN'],
  ] as const) {
    const server = createMcpServer({ api: createApiClient({ server: 'http://api.invalid', fetch }), org: 'acme' });
    const client = new Client({ name: 'kradle-test', version: '1' });
    const [near, far] = InMemoryTransport.createLinkedPair();
    await server.connect(far);
    await client.connect(near);
    t.teardown(() => client.close());
    for (const call of [() => client.getPrompt({ name: 'kradle_troubleshoot' }), () => client.readResource({ uri: 'kradle://snapshot' })]) {
      const err = await t.throwsAsync<McpError>(call(), { instanceOf: McpError });
      t.like(err, { code, data: { code: envelopeCode } }, envelopeCode);
      t.regex(err!.message, new RegExp(`^MCP error ${code}: ${envelopeCode}: `));
    }
  }
});
