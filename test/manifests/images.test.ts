// Every image Kradle runs by default is pinned by a tag: the Kradle Deployment, a RunnerPool's runners and an
// agent run's Job. A moving tag (`:latest`, or none) changes what runs without a commit, and the sample org's
// own disallow-latest-tag policy would refuse it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_AGENT_IMAGE } from '../../src/agents/index.ts';
import { renderObjects } from '../../src/cluster/index.ts';
import { createLoader } from '../../src/loader/index.ts';
import { fixtureRepo } from '../loader/fixture-repo.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A tag after the last path segment (a registry's :port does not count), and not `latest`. */
function pinned(image: string): boolean {
  const name = image.split('@')[0]!;
  const last = name.slice(name.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
  return tag !== undefined && /^[\w][\w.-]{0,127}$/.test(tag) && tag !== 'latest';
}

test('pinned() tells a pinned image from a moving one', (t) => {
  for (const image of ['ghcr.io/a5c-ai/kradle:0.1.0', 'registry:5000/team/runner:1.4.2', 'busybox:1.36@sha256:' + 'a'.repeat(64)]) t.true(pinned(image), image);
  for (const image of ['ghcr.io/a5c-ai/kradle:latest', 'ghcr.io/a5c-ai/kradle', 'registry:5000/team/runner', 'node:']) t.false(pinned(image), image);
});

test('the Kradle Deployment in manifests/deploy runs a pinned image', (t) => {
  const objects = parseAllDocuments(readFileSync(`${ROOT}manifests/deploy/40-deployment.yaml`, 'utf8')).map((d) => d.toJS());
  const images = objects.filter((o) => o?.kind === 'Deployment').flatMap((d) => [...(d.spec.template.spec.initContainers ?? []), ...d.spec.template.spec.containers].map((c: { image: string }) => c.image));
  t.true(images.length > 0);
  for (const image of images) t.true(pinned(image), image);
});

test('a RunnerPool that names no image, and an agent run whose stack names none, get pinned default images', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const pool = 'orgs/acme/runnerpools/default.yaml';
  repo.commit({ [pool]: readFileSync(`${repo.dir}/${pool}`, 'utf8').replace(/^\s*image:.*\n/m, '') }, 'no image');
  const loaded = await createLoader().load(await repo.snapshot());
  if (!loaded.ok) return t.fail(loaded.errors.map((e) => e.message).join('\n'));
  const runners = renderObjects(loaded.state, { now: new Date() }).filter((o) => o.kind === 'Deployment' && o.metadata.namespace === 'kradle-org-acme');
  t.true(runners.length > 0);
  for (const d of runners) {
    for (const c of (d.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers) t.true(pinned(c.image), `${d.metadata.name}: ${c.image}`);
  }
  t.true(pinned(DEFAULT_AGENT_IMAGE), DEFAULT_AGENT_IMAGE);
});
