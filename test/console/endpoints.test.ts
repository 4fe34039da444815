import test from 'ava';
import { agentRouteDefs } from '../../src/agents/routes.ts';
import { createStore } from '../../src/store/index.ts';
import type { RouteDef } from '../../src/api/index.ts';
import { CONSOLE_FILES } from '../../src/console/index.ts';
// @ts-expect-error: a browser module in plain JavaScript; it needs nothing of the browser until it is called.
import { ENDPOINTS } from '../../src/console/public/api.js';
import { client, startApi } from '../support/api-client.ts';
import { fakeConfig, fakeSync } from '../support/api-fakes.ts';

test('every API call the console makes is an operation of /openapi.json, and the console is served at /', async (t) => {
  const store = createStore({ dataDir: 'memory://' });
  await store.migrate();
  const api = await startApi({ store, config: fakeConfig([]), sync: fakeSync(), extraRoutes: agentRouteDefs({} as never) as unknown as RouteDef[] });
  t.teardown(async () => {
    await api.close();
    await store.close();
  });
  const doc = (await client(api.url).get('/openapi.json')).body;
  const endpoints = Object.entries(ENDPOINTS as Record<string, [string, string]>);
  t.true(endpoints.length > 10);
  for (const [name, [method, path]] of endpoints) {
    t.truthy(doc.paths[path]?.[method.toLowerCase()], `console call ${name}: ${method} ${path} is in the API document`);
  }

  const index = await fetch(`${api.url}/`);
  t.is(index.status, 200);
  t.regex(index.headers.get('content-type')!, /text\/html/);
  t.regex(index.headers.get('content-security-policy')!, /script-src 'self'/);
  t.regex(await index.text(), /\/console\/app\.js/);
  for (const url of CONSOLE_FILES().keys()) {
    if (!url.endsWith('.js') && !url.endsWith('.mjs')) continue;
    const res = await fetch(`${api.url}${url}`);
    t.is(res.status, 200, url);
    t.regex(res.headers.get('content-type')!, /javascript/, url);
    t.notRegex(await res.text(), /from\s*["']preact["']/, `${url}: no bare import left for the browser to fail on`);
  }
  t.is((await fetch(`${api.url}/console/nothing.js`)).status, 404);
});
