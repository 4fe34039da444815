import test from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWriteIntentSender } from '../../src/external/index.ts';
import { client, makeToken, silentLogger, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync } from '../support/api-fakes.ts';
import { startFakeForge } from '../support/fake-forge.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';

for (const d of testDrivers(test)) suite(d);

/** Polls until `fn` returns something truthy; a bound on waiting, never an assertion about time. */
async function until<T>(fn: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 1200; i++) {
    const v = await fn();
    if (v) return v;
    await sleep(25);
  }
  throw new Error(`gave up waiting for ${what}`);
}

function suite(d: TestDriver) {
  async function setup() {
    const store = await d.store();
    const org = uniqueName('wi');
    const ns = `kradle-org-${org}`;
    const forge = await startFakeForge({ token: 'forge-token-1' });
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('ExternalBackendProvider', org, 'gh', { providerType: 'github', endpoint: forge.url }),
      doc('ExternalBackendBinding', org, 'gh-b', { providerRef: 'gh', credentialRef: 'gh-cred', repository: 'acme/web' }),
      doc('ExternalBackendSyncPolicy', org, 'gh-policy', { providerRef: 'gh', syncInterval: '5m', retryPolicy: { maxAttempts: 3, backoffMs: 20 } }),
    ]);
    const secrets = fakeSecrets();
    await secrets.put(org, 'gh-cred', { token: 'forge-token-1' });
    const api = await startApi({ store, config, sync: fakeSync(), secrets });
    const c = client(api.url, await makeToken(api.app, org, 'writer', 'alice'));
    const sender = createWriteIntentSender({ store, desired: config.current, secrets: secrets.read, fetch, logger: silentLogger, resyncMs: 60_000 });
    await sender.start();
    const create = (name: string, spec: Record<string, unknown> = {}) => store.resources.create({
      apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'ExternalWriteIntent', metadata: { name, namespace: ns },
      spec: { organizationRef: org, providerRef: 'gh', bindingRef: 'gh-b', resourceRef: { kind: 'Issue', name: 'bug-1' }, operation: 'create', payload: { title: 'Bug', body: 'It breaks' }, ...spec },
    });
    const get = (name: string) => store.resources.get('ExternalWriteIntent', ns, name);
    const settled = (name: string) => until(async () => {
      const r = await get(name);
      return r && ['Succeeded', 'Failed'].includes(String(r.status.phase)) && r;
    }, `${name} to settle`);
    const approve = (name: string) => c.post(`/api/orgs/${org}/external/write-intents/${name}/approve`, {});
    const close = async () => {
      await sender.stop();
      await api.close();
      await forge.close();
    };
    return { org, forge, c, create, get, settled, approve, close };
  }

  test(`${d.name}: an approved intent is sent to the provider once and Succeeds; an unapproved one is never sent`, async (t) => {
    const s = await setup();
    await s.create('w-wait');
    await s.create('w-ok');
    t.is((await s.approve('w-ok')).status, 200);
    const done = await s.settled('w-ok');
    t.like(done.status, { phase: 'Succeeded', externalId: '1' });
    t.deepEqual((done.status.attempts as any[]).map((a) => [a.attempt, a.outcome, a.status]), [[1, 'succeeded', 201]]);
    t.deepEqual(s.forge.requests.map((r) => [r.method, r.path, r.authorization, r.body]), [['POST', '/repos/acme/web/issues', 'Bearer forge-token-1', { title: 'Bug', body: 'It breaks' }]]);
    t.is((await s.get('w-wait'))!.status.phase, undefined);
    t.false(JSON.stringify(done).includes('forge-token-1'));
    await s.close();
  });

  test(`${d.name}: an intent that fails twice is retried with back-off and then Succeeds; one that keeps failing is Failed after the policy's attempts`, async (t) => {
    const s = await setup();
    s.forge.failNext(2, 502);
    await s.create('w-flaky', { operation: 'update', externalId: '7', payload: { title: 'Renamed' } });
    await s.approve('w-flaky');
    const flaky = await s.settled('w-flaky');
    t.is(flaky.status.phase, 'Succeeded');
    t.deepEqual((flaky.status.attempts as any[]).map((a) => [a.outcome, a.status]), [['failed', 502], ['failed', 502], ['succeeded', 200]]);
    t.true(s.forge.requests.every((r) => r.method === 'PATCH' && r.path === '/repos/acme/web/issues/7'));

    s.forge.failNext(3, 503);
    await s.create('w-down');
    await s.approve('w-down');
    const down = await s.settled('w-down');
    t.like(down.status, { phase: 'Failed', lastError: 'POST /repos/acme/web/issues: HTTP 503' });
    t.deepEqual((down.status.attempts as any[]).map((a) => a.outcome), ['failed', 'failed', 'failed']);
    t.is(s.forge.requests.filter((r) => r.method === 'POST').length, 3, 'no fourth attempt');
    await s.close();
  });

  test(`${d.name}: cancelling an intent while it is Sending is refused; a 4xx answer fails it at once`, async (t) => {
    const s = await setup();
    const release = s.forge.hold();
    await s.create('w-busy');
    await s.approve('w-busy');
    await until(async () => (await s.get('w-busy'))?.status.phase === 'Sending', 'w-busy to be Sending');
    const cancel = await s.c.post(`/api/orgs/${s.org}/external/write-intents/w-busy/cancel`, {});
    t.is(cancel.status, 409);
    t.is(cancel.body.error.details[0].code, 'INVALID_TRANSITION');
    release();
    t.is((await s.settled('w-busy')).status.phase, 'Succeeded');

    s.forge.failNext(1, 422);
    await s.create('w-bad');
    await s.approve('w-bad');
    const bad = await s.settled('w-bad');
    t.is(bad.status.phase, 'Failed');
    t.is((bad.status.attempts as any[]).length, 1);
    await s.close();
  });
}
