// §12: queued Job records are assigned to a runner of their pool and release it when they end; statuses and counts.
import test from 'ava';
import pino from 'pino';
import type { RouteDef } from '../../src/api/index.ts';
import { createPlanOnlyDriver } from '../../src/cluster/plan-only-driver.ts';
import { tenantNamespace } from '../../src/kinds/index.ts';
import { createAgentWiring } from '../../src/server/agents.ts';
import { client, makeToken, startApi } from '../support/api-client.ts';
import { doc, fakeConfig, fakeSync } from '../support/api-fakes.ts';
import { testDrivers, uniqueName } from '../support/store.ts';

for (const d of testDrivers(test)) {
  test(`[${d.name}] a queued Job gets an Idle runner of its pool, releases it at its end; a Terminating runner leaves`, async (t) => {
    const store = await d.store();
    const org = uniqueName('rn');
    const wiring = createAgentWiring({ store, driver: createPlanOnlyDriver(), desired: () => undefined, callbackBaseUrl: 'https://kradle.test', logger: pino({ level: 'silent' }) });
    await wiring.startLeaderWork();
    t.teardown(() => wiring.stop());
    // The revision declares the org: the pool routes answer 404 for one it does not.
    const api = await startApi({ store, config: fakeConfig([doc('Organization', org, org, { displayName: org })]), sync: fakeSync(), extraRoutes: wiring.routes as unknown as RouteDef[] });
    t.teardown(() => api.close());
    const w = client(api.url, await makeToken(api.app, org, 'writer', 'ci'));
    const P = `/api/orgs/${org}/runners/pools/default`;
    t.like((await w.get(P)).body, { phase: 'Empty', counts: { total: 0 } });
    const job = (name: string) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Job', metadata: { name, namespace: tenantNamespace(org) }, spec: { organizationRef: org, pipeline: 'p1', step: name, runnerPool: 'default' }, status: { phase: 'Queued' } });
    await store.resources.create(job('build'));
    await store.resources.create(job('test'));
    t.is((await w.post(`${P}/runners`, { name: 'r1' })).status, 201);
    const waitJob = async (name: string, ok: (j: any) => boolean) => {
      for (let i = 0; i < 400; i++) {
        const j = await store.resources.get('Job', tenantNamespace(org), name);
        if (ok(j)) return j!;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`Job ${name} never got there`);
    };
    const running = await waitJob('build', (j) => j?.status.phase === 'Running').catch(() => waitJob('test', (j) => j?.status.phase === 'Running'));
    t.is(running.status.runnerRef, 'r1');
    const other = running.metadata.name === 'build' ? 'test' : 'build';
    t.like((await w.get(P)).body, { phase: 'Active', counts: { Idle: 0, Running: 1, Terminating: 0, total: 1 } });
    t.is((await store.resources.get('Job', tenantNamespace(org), other))?.status.phase, 'Queued', 'one runner, one Job');

    await w.post(`${P}/runners/r1/terminate`);
    t.like((await w.get(P)).body, { counts: { Terminating: 1 }, runners: [{ name: 'r1', status: 'Terminating', job: running.metadata.name }] });
    t.is((await w.post(`${P}/runners`, { name: 'r2' })).status, 201);
    await store.resources.updateStatus({ ...running, status: { ...running.status, phase: 'Succeeded' } });
    const second = await waitJob(other, (j) => j?.status.phase === 'Running');
    t.is(second.status.runnerRef, 'r2');
    for (let i = 0; i < 400 && (await w.get(P)).body.runners.some((r: any) => r.name === 'r1'); i++) await new Promise((r) => setTimeout(r, 50));
    t.like((await w.get(P)).body, { phase: 'Active', counts: { Running: 1, Terminating: 0, total: 1 }, runners: [{ name: 'r2', status: 'Running', job: other }] });
    await store.resources.updateStatus({ ...second, status: { ...second.status, phase: 'Failed' } });
    for (let i = 0; i < 400 && (await w.get(P)).body.phase !== 'Idle'; i++) await new Promise((r) => setTimeout(r, 50));
    t.like((await w.get(P)).body, { phase: 'Idle', counts: { Idle: 1, Running: 0, total: 1 } });
  });
}
