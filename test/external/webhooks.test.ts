import test from 'ava';
import { signatureHeader } from '../../src/webhooks/index.ts';
import { makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSecrets, fakeSync } from '../support/api-fakes.ts';
import { testDrivers, uniqueName, type TestDriver } from '../support/store.ts';

for (const d of testDrivers(test)) suite(d);

function suite(d: TestDriver) {
  test(`${d.name}: inbound provider webhooks are HMAC-verified, recorded once per delivery id and synced like POST .../external/sync`, async (t) => {
    const store = await d.store();
    const org = uniqueName('wh');
    const ns = `kradle-org-${org}`;
    const config = fakeConfig([
      doc('Organization', org, org, { displayName: org, slug: org }),
      doc('ExternalBackendBinding', org, 'gh-b', { providerRef: 'gh', credentialRef: 'gh-cred', webhookSecretRef: { name: 'gh-hook' } }),
    ]);
    const secrets = fakeSecrets();
    await secrets.put(org, 'gh-hook', { 'webhook-secret': 'hook-secret-1' });
    const api = await startApi({ store, config, sync: fakeSync(), secrets });
    await makeToken(api.app, org, 'reader');
    const url = `${api.url}/api/orgs/${org}/external/webhooks/gh-b`;
    const post = (payload: unknown, headers: Record<string, string>, secret = 'hook-secret-1') => {
      const body = JSON.stringify(payload);
      return fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureHeader(secret, body), ...headers } })
        .then(async (r) => ({ status: r.status, body: await r.json() as any }));
    };
    const change = (title: string, version: number) => ({ kind: 'Issue', localName: 'iss-1', spec: { title }, externalEnvelope: { id: 'X-1', version } });
    const deliveries = async () => (await store.resources.list('ExternalWebhookDelivery', { namespace: ns })).items;

    const forged = await post(change('forged', 1), { 'x-github-delivery': 'd-1' }, 'wrong-secret');
    t.is(forged.status, 401);
    t.is((await deliveries()).length, 0);
    t.is(await store.resources.get('Issue', ns, 'iss-1'), undefined);

    const first = await post(change('A', 1), { 'x-github-delivery': 'd-1', 'x-github-event': 'sync' });
    t.is(first.status, 200, JSON.stringify(first.body));
    t.like(first.body, { phase: 'Processed', sync: { outcome: 'applied' } });
    t.is((await store.resources.get('Issue', ns, 'iss-1'))!.spec.title, 'A');

    const repeated = await post(change('B', 2), { 'x-github-delivery': 'd-1', 'x-github-event': 'sync' });
    t.is(repeated.status, 200);
    t.true(repeated.body.duplicate);
    t.is((await store.resources.get('Issue', ns, 'iss-1'))!.spec.title, 'A', 'a repeated delivery id changes nothing');

    const issue = { action: 'edited', issue: { number: 42, title: 'From GitHub', body: 'details', state: 'open', updated_at: '2026-12-01T10:00:00Z' } };
    const gh = await post(issue, { 'x-github-delivery': 'd-2', 'x-github-event': 'issues' });
    t.is(gh.status, 200, JSON.stringify(gh.body));
    t.like((await store.resources.get('Issue', ns, 'issue-42'))!.spec, { title: 'From GitHub', body: 'details', state: 'open' });
    const ignored = await post({ zen: 'hello' }, { 'x-github-delivery': 'd-3', 'x-github-event': 'ping' });
    t.is(ignored.body.phase, 'Ignored');
    t.is((await post(change('C', 3), {})).status, 400, 'a delivery id is required');

    const recorded = await deliveries();
    t.deepEqual(recorded.map((r) => [r.spec.deliveryId, r.spec.eventType, r.status.phase]).sort(), [['d-1', 'sync', 'Processed'], ['d-2', 'issues', 'Processed'], ['d-3', 'ping', 'Ignored']]);
    t.false(JSON.stringify(recorded).includes('hook-secret-1'));
    await api.close();
  });
}
