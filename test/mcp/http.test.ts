import test from 'ava';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { uniqueName } from '../support/store.ts';
import { mcpWorld } from './support.ts';

const setup = mcpWorld(test);

async function connect(url: string, token: string, query = ''): Promise<Client> {
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp${query}`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

test('smoke: list tools and call one', async (t) => { try {
  const org = uniqueName('mh');
  const { api, token } = await setup([org]);
  const c = await connect(api.url, await token(org, 'writer')).catch((e) => { console.error('CONNECT', e); throw e; });
  const tools = await c.listTools();
  t.is(tools.tools.length, 14);
  const res = await c.callTool({ name: 'kradle_list_stacks', arguments: {} });
  t.log(JSON.stringify(res).slice(0, 600));
  const bad = await c.callTool({ name: 'kradle_get_resource', arguments: { kind: 'Nope', name: 'x' } });
  t.log(JSON.stringify(bad).slice(0, 600));
  await c.close();
  t.pass(); } catch (e) { console.error('ERR', e); throw e; }
});
