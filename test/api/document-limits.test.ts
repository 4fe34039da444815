// A written document past the loader's limits is refused before the YAML writer or the store spends on it.
import test from 'ava';
import { LIMITS } from '../../src/loader/index.ts';
import { testDrivers, type TestDriver } from '../support/store.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync, fakeWriter } from '../support/api-fakes.ts';

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  test(`${d.name}: a mapping past the keys limit is a 422 LIMIT_EXCEEDED naming the field, and nothing is written`, async (t) => {
    const store = await d.store();
    const org = `o${Math.random().toString(36).slice(2, 8)}`;
    const config = fakeConfig([doc('Organization', org, org, { displayName: org, slug: org })]);
    const api = await startApi({ store, config, sync: fakeSync(), writer: fakeWriter(config), secrets: fakeSecrets() });
    t.teardown(() => api.close());
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const wide = Object.fromEntries(Array.from({ length: LIMITS.keysPerMapping + 1 }, (_, i) => [`k${i}`, i]));
    for (const [kind, spec, field] of [['Team', { displayName: 'Wide', extra: wide }, '/spec/extra'], ['Issue', { title: 't', labels: wide }, '/spec/labels']] as const) {
      const res = await c.post(`/api/orgs/${org}/resources`, { kind, metadata: { name: 'wide' }, spec });
      t.is(res.status, 422, kind);
      t.is(res.body.error.code, 'VALIDATION_FAILED');
      t.deepEqual(res.body.error.details.map((x: { code: string; field: string }) => [x.code, x.field]), [['LIMIT_EXCEEDED', field]]);
      t.regex(res.body.error.message, /holds 10,001 keys, over the limit of 10,000 per mapping/);
      t.is((await c.get(`/api/orgs/${org}/resources/${kind}/wide`)).status, 404, kind);
      // At the limit, the same document is taken.
      const fine = { ...spec, [field.split('/')[2]!]: Object.fromEntries(Object.entries(wide).slice(1)) };
      t.is((await c.post(`/api/orgs/${org}/resources`, { kind, metadata: { name: 'fine' }, spec: fine })).status, 201, kind);
      t.is((await c.get(`/api/orgs/${org}/resources/${kind}/fine`)).status, 200, kind);
    }
  });
}
