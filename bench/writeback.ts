// Write-back on a 10,000-file config repo: one-file write -> commit, p50 over 20 writes, without the
// index (the writer) and, for comparison, through isomorphic-git's add + commit.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import git from 'isomorphic-git';
import { createLoader } from '../src/loader/index.ts';
import { createConfigWriter } from '../src/writeback/index.ts';
import type { Snapshot } from '../src/source/types.ts';
import { createTestRepo } from '../test/support/git-repo.ts';

const ORGS = 10;
const TEAMS = 1000;
const WRITES = 20;
const ACTOR = { name: 'Bench', email: 'bench@kradle.invalid' };

const teamDoc = (org: string, name: string, displayName: string) => `# team ${name} of ${org}
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: ${name}
spec:
  organizationRef: ${org} # the owning org
  displayName: ${displayName}
  description: ${'a team used to measure write-back on a large config repo '.repeat(12).trim()}
`;

const team = (org: string, name: string, displayName: string) => ({
  apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name },
  spec: { organizationRef: org, displayName, description: 'rewritten by the bench' },
});

function buildRepo() {
  const repo = createTestRepo();
  // 10,000 loose objects would start a background `git gc --auto`, which packs and deletes them under the writes
  // timed below (an ENOENT from isomorphic-git, seen once).
  repo.git('config', 'gc.auto', '0');
  for (let o = 0; o < ORGS; o++) {
    const org = `org-${o}`;
    mkdirSync(join(repo.dir, 'orgs', org, 'teams'), { recursive: true });
    writeFileSync(join(repo.dir, 'orgs', org, 'organization.yaml'), `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: ${org}\nspec:\n  displayName: Org ${o}\n  namespaceName: kradle-org-${org}\n`);
    for (let i = 0; i < TEAMS; i++) writeFileSync(join(repo.dir, 'orgs', org, 'teams', `team-${i}.yaml`), teamDoc(org, `team-${i}`, `Team ${i}`));
  }
  repo.commit({}, '10k files');
  return repo;
}

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function timeWrites(label: string, write: (i: number) => Promise<unknown>, n = WRITES) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await write(i);
    times.push(performance.now() - t0);
  }
  console.log(`${label.padEnd(58)} first ${ms(times[0]!).padStart(10)}  p50 ${ms(p50(times.slice(1))).padStart(9)}  max ${ms(Math.max(...times.slice(1))).padStart(9)}`);
}

const t0 = performance.now();
const repo = buildRepo();
const gitdir = join(repo.dir, '.git');
console.log(`repo: ${ORGS * TEAMS + ORGS} files, built in ${ms(performance.now() - t0)}`);

// isomorphic-git's own path: write the file, add it to the index, commit (rebuilds every tree).
const cache = {};
await timeWrites('isomorphic-git add + commit (through the index)', async (i) => {
  const path = `orgs/org-1/teams/team-${i}.yaml`;
  writeFileSync(join(repo.dir, path), teamDoc('org-1', `team-${i}`, `Indexed ${i}`));
  await git.add({ fs, dir: repo.dir, filepath: path, cache });
  await git.commit({ fs, dir: repo.dir, message: 'bench', author: ACTOR, cache });
}, 6);

const noCheck = createConfigWriter({ gitdir, branch: 'main', validate: async () => ({ errors: [], warnings: [] }), cache });
await timeWrites('writer: update at its conventional path, no validation', (i) =>
  noCheck.write({ edit: { op: 'upsert', resource: team('org-2', `team-${i}`, `Edited ${i}`) }, actor: ACTOR }));
// What kradle serve does: the desired state (loaded at the tip) says where a resource lives, or that it is new.
const loadedAt = (await git.resolveRef({ fs, gitdir, ref: 'main' }));
const located = createConfigWriter({ gitdir, branch: 'main', validate: async () => ({ errors: [], warnings: [] }), cache, locate: () => ({ revision: loadedAt }) });
await timeWrites('writer: create, located by the desired state (no scan)', (i) =>
  located.write({ edit: { op: 'upsert', resource: team('org-5', `new-${i}`, `New ${i}`) }, actor: ACTOR }));

await timeWrites('writer: create (first: index of all 10k blobs), no validation', (i) =>
  noCheck.write({ edit: { op: 'upsert', resource: team('org-3', `new-${i}`, `New ${i}`) }, actor: ACTOR }));

const loader = createLoader();
const withLoader = createConfigWriter({
  gitdir, branch: 'main', cache,
  validate: async (s: Snapshot) => {
    const r = await loader.load(s);
    return { errors: r.ok ? [] : r.errors, warnings: r.warnings };
  },
});
await timeWrites('writer: update, validated by the loader (first: cold load)', (i) =>
  withLoader.write({ edit: { op: 'upsert', resource: team('org-4', `team-${i}`, `Loaded ${i}`) }, actor: ACTOR }));

rmSync(repo.dir, { recursive: true, force: true });
