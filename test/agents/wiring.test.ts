import test from 'ava';
import pino from 'pino';
import type { StackReadiness } from '../../src/agents/index.ts';
import { createPlanOnlyDriver } from '../../src/cluster/plan-only-driver.ts';
import { createAgentWiring } from '../../src/server/agents.ts';
import { testDrivers, uniqueName } from '../support/store.ts';
import { loadState, orgFiles } from './helpers.ts';

const [driver] = testDrivers(test);

test('stack readiness reaches onStackReadiness and stackReadiness(), and is still published as an event', async (t) => {
  const org = uniqueName('w');
  const state = await loadState(orgFiles(org, { withoutSecretGrant: true }));
  const store = await driver!.store();
  const seen: StackReadiness[] = [];
  const wiring = createAgentWiring({ store, driver: createPlanOnlyDriver(), desired: () => state, callbackBaseUrl: 'https://kradle.test', logger: pino({ level: 'silent' }), onStackReadiness: (r) => void seen.push(r) });
  t.teardown(() => wiring.stop());
  wiring.onState(state);
  for (let i = 0; i < 100 && !seen.some((r) => r.org === org); i++) await new Promise((r) => setTimeout(r, 20));
  const mine = seen.find((r) => r.org === org)!;
  t.is(mine.stack, 'fixer');
  t.false(mine.ready);
  t.is(mine.conditions.find((c) => c.type === 'SecretsAdmitted')?.status, 'False');
  t.is(wiring.stackReadiness(org, 'fixer'), mine);
  const events = await store.events.since(0, { org });
  t.true(events.some((e) => e.type === 'StackReadiness' && e.name === 'fixer'));
  t.true(wiring.routes.some((r) => r.path === '/api/orgs/:org/agents/memory/imports/:name/approve'));
  t.true(wiring.routes.some((r) => r.path === '/api/orgs/:org/agents/runs/:name/steps'));
});
