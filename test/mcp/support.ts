// An API with the agent routes of a real dispatch world, plus config fakes, for the MCP tests. Never imported from src/.
import type { TestFn } from 'ava';
import { agentRouteDefs, createTriggerService } from '../../src/agents/index.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { dispatchWorld } from '../agents/dispatch-support.ts';
import { makeToken, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

export function mcpWorld(test: TestFn) {
  const world = dispatchWorld(test);
  const closers: (() => Promise<void>)[] = [];
  test.after.always(async () => { for (const c of closers) await c(); });
  return async function setup(orgs: string[]) {
    const w = await world(Object.fromEntries(orgs.map((o) => [o, {}])));
    const config = fakeConfig([...w.state.resources.values()].map((d) => d.object), w.state.revision);
    const writer = fakeWriter(config);
    const triggers = createTriggerService({ store: w.store, desired: () => w.state, dispatch: w.dispatch });
    const extraRoutes = agentRouteDefs({ dispatch: w.dispatch, approvals: w.approvals, triggers }) as unknown as RouteDef[];
    const api = await startApi({ store: w.store, config, sync: fakeSync(), writer, secrets: fakeSecrets(), extraRoutes });
    closers.push(() => api.close());
    const token = (org: string, role: 'admin' | 'writer' | 'reader') => makeToken(api.app, org, role, `${role}-of-${org}`);
    return { w, api, config, writer, token };
  };
}
