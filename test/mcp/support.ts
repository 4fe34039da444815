// An API over real HTTP with the agent routes of a real dispatch world (PGlite, test Kubernetes API server) and
// the config fakes of test/api, for the MCP tests. Never imported from src/.
import type { TestFn } from 'ava';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { agentRouteDefs, createTriggerService } from '../../src/agents/index.ts';
import type { RouteDef } from '../../src/api/index.ts';
import type { Resource } from '../../src/kinds/index.ts';
import { dispatchWorld } from '../agents/dispatch-support.ts';
import { makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

/** The official MCP client over streamable HTTP at `${url}/mcp`, as the given token (none when empty). */
export async function httpClient(url: string, token: string, query = ''): Promise<Client> {
  const client = new Client({ name: 'kradle-test', version: '1' });
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp${query}`), { requestInit: { headers } }));
  return client;
}

/** Conditions the controller would have written for the stack `fixer`: one failing. */
export const FIXER_STATUS = {
  conditions: [
    { type: 'McpHealthy', status: 'False', reason: 'MissingMcpServer', message: 'AgentMcpServer/github not found' },
    { type: 'RuntimeIdentityReady', status: 'True', reason: 'Found' },
    { type: 'Ready', status: 'False', reason: 'NotReady', message: 'McpHealthy is False' },
  ],
};

export function mcpWorld(test: TestFn) {
  const world = dispatchWorld(test);
  const closers: (() => Promise<void>)[] = [];
  test.after.always(async () => {
    for (const c of closers) await c();
  });
  return async function setup(orgs: string[]) {
    const w = await world(Object.fromEntries(orgs.map((o) => [o, {}])));
    const extra: Resource[] = orgs.map((o) => doc('ExternalBackendBinding', o, 'jira', { providerRef: 'jira', credentialRef: 'jira-token' }));
    const config = fakeConfig([...[...w.state.resources.values()].map((d) => d.object), ...extra], w.state.revision);
    const writer = fakeWriter(config);
    const triggers = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
    const extraRoutes = agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers }) as unknown as RouteDef[];
    // The status the controller would have saved for each org's stack `fixer`: the store is its source of truth.
    await w.store.statuses.save(orgs.map((o) => {
      const fixer = w.state.get('AgentStack', o, 'fixer')!;
      return {
        sourceKey: fixer.key, org: o, kind: 'AgentStack', namespace: fixer.id.namespace, name: 'fixer', revision: w.state.revision,
        phase: 'Failed', ready: 'False' as const, health: 'Unknown' as const, status: FIXER_STATUS, model: {},
      };
    }));
    const api = await startApi({ store: w.store, config, sync: fakeSync(), writer, secrets: fakeSecrets(), extraRoutes });
    closers.push(() => api.close());
    const token = (org: string, role: 'admin' | 'writer' | 'reader') => makeToken(api.app, org, role, `${role}-of-${org}`);
    return { w, api, config, writer, token };
  };
}

