// A seeded random sequence of edits to a generated config repo (a real Git repo on disk): after every commit,
// the long-lived loader's incremental result must equal a fresh full load of the same revision.
// Reproduce a failure with KRADLE_EDIT_SEED=<seed printed in the failure>.
import test from 'ava';
import { createLoader, type DesiredState, type LoadResult } from '../../src/loader/index.ts';
import { diffStates } from '../../src/plan/index.ts';
import { createGitSource } from '../../src/source/index.ts';
import { createTestRepo, tempDir } from '../support/git-repo.ts';
import { seededRandom as rng, type SeededRandom } from '../support/seeded-random.ts';

type Rng = SeededRandom;

const ORGS = ['acme', 'globex', 'initech'];
const NAMES = ['a', 'b', 'c'];
const HEAD = 'apiVersion: kradle.a5c.ai/v1alpha1';

const org = (slug: string, ns: string) => `${HEAD}\nkind: Organization\nmetadata:\n  name: ${slug}\nspec:\n  displayName: ${slug}\n  namespaceName: ${ns}\n`;

/**
 * A reference that is plain, or names an org (`org/name`) or a namespace (`{name, namespace}`): those resolve
 * through the org directory, so an org moving changes their answer.
 */
function scopedRef(r: Rng, slug: string): string {
  const name = r.pick(NAMES);
  switch (r.int(4)) {
    case 0: return `${slug}/${name}`;
    case 1: return `{name: ${name}, namespace: ${r.pick([`kradle-org-${slug}`, `${slug}-ns`, slug])}}`;
    case 2: return `${r.pick(ORGS)}/${name}`;
    default: return name;
  }
}

/** A random document of a kind that names others: references hit or miss, names repeat (duplicates). */
function document(r: Rng, slug: string): string {
  const name = r.pick(NAMES);
  const head = (kind: string) => `${HEAD}\nkind: ${kind}\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: ${slug}\n`;
  switch (r.int(7)) {
    case 0: return `${head('User')}  displayName: ${name}\n  email: ${name}@example.com\n`;
    case 1: return `${head('Team')}  displayName: ${name}\n  members: [${r.pick(NAMES)}, ${r.pick(NAMES)}]\n`;
    case 2: return `${head('Repository')}  visibility: ${r.pick(['private', 'internal'])}\n`;
    case 3: return `${head('AgentAdapter')}  adapterType: cli\n  transport: stdio\n`;
    case 4: return `${head('AgentServiceAccount')}  namespace: ${r.pick([`kradle-org-${slug}`, `${slug}-ns`])}\n  serviceAccountName: ${name}\n`;
    case 5: return `${head('AgentStack')}  baseAgent: claude-code\n  adapter: ${scopedRef(r, slug)}\n  runtimeIdentity: ${r.pick(NAMES)}\n`;
    default: return `${head('AgentTriggerRule')}  sources: [pull_request.opened]\n  agentStack: ${r.pick(NAMES)}\n  repository: ${r.pick(NAMES)}\n  taskKind: review\n`;
  }
}

/** A field no schema lists: an UNKNOWN_FIELD warning in whatever document it lands (after the spec's first line). */
const STRAY = ['parentTeam: ghost', 'maintainer: [a]', 'colour: blue'];

/** One edit of the repo (path -> content): create, modify, delete, rename, copy, break, a stray field, or an org change. */
function edit(r: Rng, files: Map<string, string>, counter: { n: number }): string {
  const docs = [...files.keys()].filter((p) => !p.endsWith('organization.yaml'));
  const any = () => r.pick([...files.keys()]);
  const newPath = (slug: string) => `orgs/${slug}/docs/f${counter.n++}.yaml`;
  const op = r.int(docs.length ? 13 : 1);
  const slug = r.pick(ORGS);
  switch (op) {
    case 0:
    case 1:
    case 8:
    case 9: {
      const text = r.int(4) === 0 ? `${document(r, slug)}---\n${document(r, r.pick(ORGS))}` : document(r, slug);
      const path = newPath(slug);
      files.set(path, text);
      return `create ${path}`;
    }
    case 2: {
      const path = r.pick(docs);
      files.set(path, document(r, r.pick(ORGS)));
      return `modify ${path}`;
    }
    case 3: {
      const path = any();
      files.delete(path);
      return `delete ${path}`;
    }
    case 4: {
      const from = r.pick(docs);
      const to = newPath(r.pick(ORGS));
      files.set(to, files.get(from)!);
      files.delete(from);
      return `rename ${from} -> ${to}`;
    }
    case 5: {
      const from = any();
      const to = newPath(slug);
      files.set(to, files.get(from)!);
      return `copy ${from} -> ${to}`;
    }
    case 6: {
      // The document keeps its kind and name: errors it causes elsewhere name this file.
      const path = r.pick(docs);
      files.set(path, files.get(path)!.replace(/\nspec:\n/, '\nspec:\n  broken: [unclosed\n'));
      return `break the YAML of ${path}`;
    }
    case 7: {
      const path = r.pick(docs);
      files.set(path, files.get(path)!.replace(/\n {2}organizationRef: .*\n/, '\n  organizationRef: 12\n'));
      return `break the schema of ${path}`;
    }
    case 10: {
      // Added to the first document of the file, or taken out again: warnings come and go with the file.
      const path = r.pick(docs);
      const text = files.get(path)!;
      const stray = STRAY.find((f) => text.includes(`\n  ${f}\n`));
      files.set(path, stray ? text.replace(`\n  ${stray}\n`, '\n') : text.replace(/\nspec:\n/, `\nspec:\n  ${r.pick(STRAY)}\n`));
      return `${stray ? 'drop the stray field of' : 'a stray field in'} ${path}`;
    }
    default: {
      const path = `orgs/${slug}/organization.yaml`;
      const choice = r.int(4);
      if (choice === 0) files.delete(path);
      else if (choice === 1) files.set(path, org(slug, `${slug}-ns`));
      else if (choice === 2) files.set(path, org(slug, `kradle-org-${slug}`).replace('namespaceName:', 'namespaceName: [').replace(/\n$/, '\n'));
      else files.set(path, org(slug, `kradle-org-${slug}`));
      return `org ${slug}: ${['deleted', 'moved to its own namespace', 'YAML broken', 'restored'][choice]}`;
    }
  }
}

const comparable = (r: LoadResult) => {
  if (!r.ok) return { ok: false, errors: r.errors, warnings: r.warnings };
  const s = r.state;
  const all = [...s.resources.values()];
  const kinds = [...new Set(all.map((d) => d.id.kind))].sort();
  return {
    ok: true,
    warnings: r.warnings,
    size: s.resources.size,
    resources: all,
    orgs: s.orgs(),
    byOrg: s.orgs().map((o) => s.byOrg(o).map((d) => d.key)),
    byKind: kinds.map((k) => s.byKind(k).map((d) => d.key)),
    found: all.every((d) => s.get(d.id.kind, d.org, d.id.name) === d && s.resources.get(d.key) === d),
  };
};

const seed = Number(process.env.KRADLE_EDIT_SEED ?? Math.floor(Math.random() * 2 ** 31));

test(`every reload after a random edit equals a fresh full load (seed ${seed})`, async (t) => {
  const r = rng(seed);
  const files = new Map<string, string>();
  for (const slug of ORGS) {
    files.set(`orgs/${slug}/organization.yaml`, org(slug, `kradle-org-${slug}`));
    for (let i = 0; i < 6; i++) files.set(`orgs/${slug}/docs/init-${i}.yaml`, document(r, slug));
  }
  const dir = tempDir('kradle-edits-');
  const repo = createTestRepo(dir);
  t.teardown(repo.remove);
  const write = (before: Map<string, string>) => {
    const out: Record<string, string | null> = {};
    for (const p of before.keys()) if (!files.has(p)) out[p] = null;
    for (const [p, text] of files) if (before.get(p) !== text) out[p] = text;
    return out;
  };
  repo.commit(write(new Map()), 'generated');
  const source = createGitSource({ url: dir });
  const loader = createLoader();
  const commits = [repo.head()];
  const seen = new Set<string>();
  const counter = { n: 0 };
  const history: string[] = [];
  // The last valid states both ways: a diff between two of the loader's states (which share what did not
  // change) must equal the diff between the fresh loads of the same revisions.
  let lastWarm: DesiredState | undefined;
  let lastCold: DesiredState | undefined;
  const same = async (commit: string, what: string) => {
    const snap = await source.snapshot(commit);
    const warmResult = await loader.load(snap);
    const coldResult = await createLoader().load(snap);
    const warm = comparable(warmResult);
    const cold = comparable(coldResult);
    t.deepEqual(warm, cold, `seed ${seed}, after: ${history.join('; ')} (${what})`);
    if (warmResult.ok && coldResult.ok) {
      t.deepEqual(diffStates(lastWarm, warmResult.state), diffStates(lastCold, coldResult.state), `seed ${seed}: the diff to the last valid revision (${what})`);
      (lastWarm = warmResult.state), (lastCold = coldResult.state);
    }
    if (!warm.ok) for (const e of warm.errors!) seen.add(e.code);
    else seen.add('ok');
    for (const w of warm.warnings) seen.add(w.code);
    return JSON.stringify(warm) === JSON.stringify(cold);
  };
  if (!(await same(commits[0]!, 'first load'))) return;
  for (let step = 0; step < 80; step++) {
    const before = new Map(files);
    const what: string[] = [];
    for (let k = 1 + r.int(3); k > 0; k--) what.push(edit(r, files, counter));
    history.push(what.join(', '));
    commits.push(repo.commit(write(before), what.join(', ')));
    // Now and then the loader goes back to an earlier revision first, as a diff preview does.
    if (r.int(5) === 0 && !(await same(r.pick(commits), 'an earlier revision'))) return;
    if (!(await same(commits.at(-1)!, 'the new revision'))) return;
    // Every few steps the repo is repaired, edit by edit, until it is valid: the states get compared too.
    for (let fix = 0; step % 4 === 3 && fix < 6; fix++) {
      const result = await createLoader().load(await source.snapshot(commits.at(-1)!));
      if (result.ok) break;
      const fixed = new Map(files);
      for (const path of new Set(result.errors.map((e) => e.path!))) {
        const slug = /^orgs\/([^/]+)\/organization\.yaml$/.exec(path)?.[1];
        if (slug) fixed.set(path, org(slug, `kradle-org-${slug}`));
        else fixed.delete(path);
      }
      const before = new Map(files);
      files.clear();
      for (const [p, text] of fixed) files.set(p, text);
      history.push('repair');
      commits.push(repo.commit(write(before), 'repair'));
      if (!(await same(commits.at(-1)!, 'a repair'))) return;
    }
  }
  // The sequence reached valid revisions and the cross-document errors (whatever the seed, most appear).
  t.log(`seed ${seed}: outcomes ${[...seen].sort().join(', ')}`);
  t.true(seen.has('ok') && seen.has('DANGLING_REF') && seen.has('YAML_SYNTAX'), `seed ${seed}: ${[...seen].join(', ')}`);
});
