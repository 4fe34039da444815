// Git source costs on a 10,000-file config repo (orgs/<org>/<plural>/<name>.yaml, ~1 KB each):
// cold YAML listing, reading every blob (loose objects, then packed by `git gc`), changed paths
// after a one-file commit, and a working-tree snapshot. Prints figures; asserts nothing.
import { rmSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createGitSource, snapshotWorktree, type Snapshot } from '../src/source/index.ts';
import { createTestRepo, runGit } from '../test/support/git-repo.ts';

const FILES = 10_000;
const ORGS = 20;
const PLURALS = ['teams', 'repositories', 'agentstacks', 'policybindings', 'runnerpools'];

function documentFor(org: string, plural: string, name: string): string {
  const labels = Array.from({ length: 12 }, (_, i) => `    kradle.a5c.ai/label-${i}: value-${i}-${name}`).join('\n');
  return `apiVersion: kradle.a5c.ai/v1alpha1\nkind: ${plural}\nmetadata:\n  name: ${name}\n  namespace: kradle-org-${org}\n  labels:\n${labels}\nspec:\n  organizationRef: ${org}\n  description: "${'x'.repeat(320)}"\n`;
}

function buildFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < FILES; i++) {
    const org = `org-${i % ORGS}`;
    const plural = PLURALS[Math.floor(i / ORGS) % PLURALS.length]!;
    files[`orgs/${org}/${plural}/item-${i}.yaml`] = documentFor(org, plural, `item-${i}`);
  }
  return files;
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await fn();
  return [performance.now() - start, result];
}

async function median(runs: number, fn: () => Promise<number>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(await fn());
  return ms.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

async function readAll(snap: Snapshot): Promise<number> {
  let bytes = 0;
  const queue = [...snap.files];
  const worker = async () => {
    for (let f = queue.pop(); f; f = queue.pop()) {
      const n = (await snap.readBlob(f.oid)).byteLength;
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return bytes;
}

/** Cold listing and full read with a fresh source (fresh cache object) each run. */
async function measureReads(dir: string, commit: string, label: string): Promise<void> {
  const list = await median(3, async () => (await time(() => createGitSource({ url: dir }).snapshot(commit)))[0]);
  let bytes = 0;
  const read = await median(3, async () => {
    const snap = await createGitSource({ url: dir }).snapshot(commit);
    const [ms, b] = await time(() => readAll(snap));
    bytes = b;
    return ms;
  });
  console.log(`${label}: cold snapshot listing ${list.toFixed(0)} ms; read all blobs ${read.toFixed(0)} ms (${(bytes / 1e6).toFixed(1)} MB)`);
}

const repo = createTestRepo();
try {
  const [buildMs] = await time(async () => repo.commit(buildFiles(), 'seed'));
  const first = repo.head();
  console.log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), Node ${process.version}; shared and noisy, medians of 3`);
  console.log(`repo: ${FILES} files built with the git CLI in ${buildMs.toFixed(0)} ms`);
  await measureReads(repo.dir, first, 'loose objects');

  const second = repo.commit({ 'orgs/org-3/teams/item-3.yaml': documentFor('org-3', 'teams', 'item-3') + '# edited\n' });
  const source = createGitSource({ url: repo.dir });
  await source.snapshot(second);
  const diff = await median(3, async () => (await time(() => source.changedPaths(first, second)))[0]);
  console.log(`changedPaths after a one-file commit: ${diff.toFixed(1)} ms (warm cache)`);

  runGit(repo.dir, ['gc', '-q', '--prune=now']);
  await measureReads(repo.dir, second, 'packed (after git gc)');
  const cold = await median(3, async () => (await time(() => createGitSource({ url: repo.dir }).changedPaths(first, second)))[0]);
  console.log(`changedPaths after a one-file commit, packed, cold cache: ${cold.toFixed(1)} ms`);

  const wt = await median(3, async () => (await time(() => snapshotWorktree(repo.dir)))[0]);
  console.log(`snapshotWorktree (read + hash all files on disk): ${wt.toFixed(0)} ms`);
} finally {
  rmSync(repo.dir, { recursive: true, force: true });
}
