// bench/reload: what a one-file change costs the loader at 10,000 and at 100,000 documents, measured the same way
// in one run: after a cold load and a warm-up, many reloads alternating between two commits (as a diff preview
// does), median and 90th percentile of wall and CPU time; then a diff of the two states, and a reload after an
// org moves to another namespace. Each size runs in a process of its own (a 100,000-document heap must not
// slow the other). `npm run bench -- reload`, or `node --import tsx bench/reload.ts --docs 10000,100000 --reloads 200`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createLoader, type LoadResult } from '../src/loader/index.ts';
import { diffStates } from '../src/plan/index.ts';
import { createGitSource } from '../src/source/index.ts';
import { runGit, tempDir, type TestRepo } from '../test/support/git-repo.ts';
import { packedGeneratedRepo } from './support/load-repo.ts';

const { values } = parseArgs({ options: { docs: { type: 'string', default: '10000,100000' }, reloads: { type: 'string', default: '200' }, one: { type: 'string' } } });
const RELOADS = Math.max(10, Number(values.reloads));

interface Figures { docs: number; coldMs: number; reload: Stat; reloadCpu: Stat; snapshot: Stat; fresh: Stat; freshSnapshot: Stat; diff: Stat; orgMove: Stat; orgEdit: Stat; checked: number; orgMoveChecked: number }
interface Stat { median: number; p90: number }

const stat = (xs: number[]): Stat => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1]!, p90: s[Math.floor(s.length * 0.9)]! };
};

/**
 * `n` commits after `base`, each changing one more file of `paths` (a commit no snapshot has seen yet, as a
 * push brings): made in one `git fast-import`, since `git commit` rescans a 100,000-file working tree each time.
 */
function oneFileCommits(repo: TestRepo, base: string, dir: string, paths: string[], n: number): string[] {
  const stream: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = paths[i % paths.length]!;
    const text = readFileSync(join(dir, path), 'utf8').replace('visibility: private', `visibility: internal # ${i}`);
    stream.push(`commit refs/heads/one-file-commits\ncommitter Bench <bench@example.com> ${1_700_000_000 + i} +0000\ndata 9\none file\n`);
    if (i === 0) stream.push(`from ${base}\n`);
    stream.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
  }
  runGit(repo.dir, ['fast-import', '--quiet'], stream.join(''));
  return runGit(repo.dir, ['rev-list', '--reverse', `${base}..one-file-commits`]).split('\n');
}

function check(r: LoadResult): LoadResult & { ok: true } {
  if (!r.ok) throw new Error(`generated repo does not validate: ${r.errors.slice(0, 3).map((e) => `${e.path}:${e.line} ${e.code} ${e.message}`).join('; ')}`);
  return r;
}

async function measure(docs: number): Promise<Figures> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = tempDir('kradle-bench-reload-');
  const { repo, paths } = packedGeneratedRepo(dir, docs, 20);
  try {
    const base = repo.head();
    const changed = paths.find((p) => p.includes('/repositories/'))!;
    const text = readFileSync(join(dir, changed), 'utf8');
    const head = repo.commit({ [changed]: text.replace('visibility: private', 'visibility: internal') }, 'one file');
    repo.git('checkout', '-q', base);
    const orgFile = 'orgs/org-1/organization.yaml';
    const orgText = readFileSync(join(dir, orgFile), 'utf8');
    const orgEdit = repo.commit({ [orgFile]: orgText.replace('displayName: Org 1', 'displayName: Org One') }, 'org renamed');
    repo.git('checkout', '-q', base);
    // Its namespace and every document's under it move; the AgentServiceAccount names the namespace too.
    const orgMove = repo.commit({ [orgFile]: orgText.replaceAll('kradle-org-org-1', 'org-1-moved') }, 'org moved');

    const source = createGitSource({ url: dir });
    const loader = createLoader();
    let t0 = performance.now();
    const cold = check(await loader.load(await source.snapshot(base)));
    const coldMs = performance.now() - t0;
    const reloads = async (other: string, n: number) => {
      const times: number[] = [];
      const cpus: number[] = [];
      const snapshots: number[] = [];
      let checked = 0;
      for (let i = 0; i < n; i++) {
        const c = process.cpuUsage();
        t0 = performance.now();
        const snapshot = await source.snapshot(i % 2 ? base : other);
        snapshots.push(performance.now() - t0);
        const r = check(await loader.load(snapshot));
        times.push(performance.now() - t0);
        const u = process.cpuUsage(c);
        cpus.push((u.user + u.system) / 1000);
        if (i === 0) checked = r.stats.checkedDocuments ?? 0;
      }
      return { times, cpus, snapshots, checked };
    };
    // Warm-up: the first reloads compile the code paths and settle what the cold load left for the collector.
    await reloads(head, 10);
    gc();
    const one = await reloads(head, RELOADS);
    const headState = check(await loader.load(await source.snapshot(head))).state;
    const diffs: number[] = [];
    for (let i = 0; i < 20; i++) {
      t0 = performance.now();
      diffStates(cold.state, headState);
      diffs.push(performance.now() - t0);
    }
    // Each reload a commit the source has not seen: its changed directories' trees are read and listed anew.
    const fresh = oneFileCommits(repo, base, dir, paths.filter((p) => p.includes('/repositories/')), RELOADS);
    await loader.load(await source.snapshot(base));
    const freshTimes: number[] = [];
    const freshSnapshots: number[] = [];
    for (const commit of fresh) {
      t0 = performance.now();
      const snapshot = await source.snapshot(commit);
      freshSnapshots.push(performance.now() - t0);
      check(await loader.load(snapshot));
      freshTimes.push(performance.now() - t0);
    }
    const edits = await reloads(orgEdit, 10);
    const moves = await reloads(orgMove, 10);
    return {
      docs, coldMs, reload: stat(one.times), reloadCpu: stat(one.cpus), snapshot: stat(one.snapshots), fresh: stat(freshTimes), freshSnapshot: stat(freshSnapshots), diff: stat(diffs),
      orgEdit: stat(edits.times), orgMove: stat(moves.times), checked: one.checked, orgMoveChecked: moves.checked,
    };
  } finally {
    repo.remove();
  }
}

if (values.one) {
  console.log(JSON.stringify(await measure(Number(values.one))));
} else {
  const sizes = values.docs!.split(',').map(Number);
  console.log(`machine: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${RELOADS} one-file reloads per size after 10 of warm-up`);
  const all: Figures[] = [];
  for (const docs of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--one', String(docs), '--reloads', String(RELOADS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`bench/reload --one ${docs} exited ${r.status}`);
    const f = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Figures;
    all.push(f);
    const ms = (s: Stat) => `median ${s.median.toFixed(2)} ms, p90 ${s.p90.toFixed(2)} ms`;
    console.log(`${String(docs).padStart(7)} documents: cold load ${(f.coldMs / 1000).toFixed(1)} s`);
    console.log(`  one-file reload: ${ms(f.reload)} (cpu ${ms(f.reloadCpu)}; the snapshot alone ${ms(f.snapshot)}); ${f.checked} document(s) checked`);
    console.log(`  one-file reload of a new commit each time: ${ms(f.fresh)} (the snapshot alone ${ms(f.freshSnapshot)})`);
    console.log(`  diff of the two states: ${ms(f.diff)}`);
    console.log(`  reload after an org's display name changes: ${ms(f.orgEdit)}`);
    console.log(`  reload after an org moves to another namespace: ${ms(f.orgMove)}; ${f.orgMoveChecked} document(s) checked`);
  }
  if (all.length > 1) {
    const [a, b] = [all[0]!, all.at(-1)!];
    console.log(`one-file reload at ${b.docs} / at ${a.docs} documents: ${(b.reload.median / a.reload.median).toFixed(2)}x wall, ` +
      `${(b.reloadCpu.median / a.reloadCpu.median).toFixed(2)}x cpu (target: within 1.5x, and under 50 ms)`);
    console.log(`one-file reload of a new commit at ${b.docs} / at ${a.docs} documents: ${(b.fresh.median / a.fresh.median).toFixed(2)}x wall`);
    console.log(`diff at ${b.docs} / at ${a.docs} documents: ${(b.diff.median / a.diff.median).toFixed(2)}x`);
  }
}
