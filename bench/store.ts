// bench/store: 100,000 runtime resources on PGlite and (when DATABASE_URL is set) PostgreSQL, side by side:
// bulk insert rate, list of one namespace (100 items) p50/p99, guarded updates per second, event catch-up rate.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createStore, type Store } from '../src/store/index.ts';

const TOTAL = 100_000;
const PER_NAMESPACE = 100;
const BATCH = 2_000;
const LISTS = 300;
const UPDATES = 2_000;

const doc = (org: string, name: string, i: number) => ({
  apiVersion: 'kradle.a5c.ai/v1alpha1',
  kind: 'PullRequest',
  metadata: { name, labels: { parity: String(i % 2), team: `t${i % 7}` } },
  spec: { organizationRef: org, repository: 'web', title: `change ${i}`, sourceRef: 'feature', targetRef: 'main' },
});

const orgOf = (i: number) => `org-${String(Math.floor(i / PER_NAMESPACE)).padStart(4, '0')}`;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(store: Store): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let t0 = performance.now();
  for (let start = 0; start < TOTAL; start += BATCH) {
    const docs = [];
    for (let i = start; i < Math.min(TOTAL, start + BATCH); i++) docs.push(doc(orgOf(i), `pr-${i}`, i));
    await store.resources.createMany(docs);
  }
  let s = (performance.now() - t0) / 1000;
  out['insert 100k (createMany, 2k per statement, events included)'] = `${s.toFixed(2)} s, ${Math.round(TOTAL / s)} rows/s`;

  const times: number[] = [];
  for (let k = 0; k < LISTS; k++) {
    const ns = `kradle-org-${orgOf((k * 7919) % TOTAL)}`;
    const t = performance.now();
    const page = await store.resources.list('PullRequest', { namespace: ns, limit: 100 });
    times.push(performance.now() - t);
    if (page.items.length !== PER_NAMESPACE) throw new Error(`expected ${PER_NAMESPACE} items in ${ns}, got ${page.items.length}`);
  }
  times.sort((a, b) => a - b);
  out['list one namespace (100 items)'] = `p50 ${pct(times, 50).toFixed(2)} ms, p99 ${pct(times, 99).toFixed(2)} ms`;

  let cur = (await store.resources.get('PullRequest', 'kradle-org-org-0000', 'pr-0'))!;
  t0 = performance.now();
  for (let k = 0; k < UPDATES; k++) cur = await store.resources.update({ ...cur, spec: { ...cur.spec, title: `rev ${k}` } });
  s = (performance.now() - t0) / 1000;
  out['guarded updates (sequential, one record)'] = `${Math.round(UPDATES / s)} /s (${((s * 1000) / UPDATES).toFixed(2)} ms each)`;

  const latest = await store.events.latestSeq();
  t0 = performance.now();
  let delivered = 0;
  await new Promise<void>((resolve) => {
    const sub = store.events.subscribe(0, (e) => {
      delivered++;
      if (e.seq >= latest) {
        sub.close();
        resolve();
      }
    });
  });
  s = (performance.now() - t0) / 1000;
  out['event catch-up from seq 0 (subscribe)'] = `${delivered} events in ${s.toFixed(2)} s, ${Math.round(delivered / s)} events/s`;
  return out;
}

async function timed(label: string, open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>) {
  const t0 = performance.now();
  const { store, cleanup } = await open();
  await store.migrate();
  console.log(`\n${label}: open + migrate ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  try {
    for (const [k, v] of Object.entries(await run(store))) console.log(`  ${k.padEnd(58)} ${v}`);
  } finally {
    await store.close();
    await cleanup();
  }
}

const cpu = cpus();
console.log(`machine: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
console.log('(shared machine: treat figures as orders of magnitude)');

await timed('PGlite (data dir on local disk)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kradle-bench-'));
  return { store: createStore({ dataDir: dir }), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  const schema = `kradle_bench_${randomBytes(4).toString('hex')}`;
  await timed(`PostgreSQL (${new URL(databaseUrl).host}, schema ${schema})`, async () => ({
    store: createStore({ databaseUrl, schema }),
    cleanup: async () => {
      const admin = createStore({ databaseUrl, poolSize: 1 });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.close();
    },
  }));
} else {
  console.log('\nPostgreSQL: skipped (DATABASE_URL is not set)');
}
