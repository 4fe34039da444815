import test from 'ava';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { contentHash, createLoader, LIMITS, type LoadResult } from '../../src/loader/index.ts';
import { fixtureRepo } from './fixture-repo.ts';

const team = (name: string, body: string) =>
  `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: acme\n  displayName: ${name}\n${body}`;

/** A Team just under the document size limit, its spec holding mappings of 10,000 keys: the worst allowed. */
function largestAllowed(): string {
  let body = '';
  for (let m = 0; body.length < LIMITS.documentChars - 300; m++) {
    body += `  m${m}:\n`;
    for (let k = 0; k < LIMITS.keysPerMapping && body.length < LIMITS.documentChars - 300; k++) body += `    k${k}: ${k}\n`;
  }
  return team('largest', body);
}

/** Loads while a /healthz server in this process is asked one request after another; counts the answers. */
async function loadWhilePolled(load: () => Promise<LoadResult>): Promise<{ result: LoadResult; answered: number }> {
  const server = createServer((_, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const healthz = () => new Promise<void>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => res.resume().on('end', resolve)).on('error', reject);
  });
  let done = false;
  let answered = 0;
  const polling = (async () => {
    while (!done) (await healthz(), answered++);
  })();
  try {
    const result = await load();
    const during = answered;
    done = true;
    await polling;
    return { result, answered: during };
  } finally {
    server.close();
  }
}

test('a committed 200,000-key document is refused while the event loop keeps answering /healthz', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  t.true((await loader.load(await repo.snapshot())).ok);
  repo.commit({ 'orgs/acme/teams/huge.yaml': team('huge', Array.from({ length: 200_000 }, (_, i) => `  k${i}: 1\n`).join('')) });
  const snap = await repo.snapshot();
  const { result, answered } = await loadWhilePolled(() => loader.load(snap));
  t.is(result.stats.parsedFiles, 1);
  t.deepEqual(result.ok ? [] : result.errors.map((e) => `${e.path}:${e.line}:${e.column} ${e.code}`), ['orgs/acme/teams/huge.yaml:1:1 LIMIT_EXCEEDED']);
  t.regex(result.ok ? '' : result.errors[0]!.message, /^the document holds 2,\d{3},\d{3} characters, over the limit/);
  t.is(result.stats.parsedOnWorkers, 1, 'the big file was parsed on a worker, though it was the only file to parse');
  // Were the parse on the main thread, no request would be answered until it ended.
  t.true(answered >= 20, `only ${answered} /healthz answers during the load`);
});

test('the largest allowed document loads on a worker, hashed as on the main thread, while /healthz is answered', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  t.true((await loader.load(await repo.snapshot())).ok);
  repo.commit({ 'orgs/acme/teams/largest.yaml': largestAllowed() });
  const snap = await repo.snapshot();
  const { result, answered } = await loadWhilePolled(() => loader.load(snap));
  t.is(result.stats.parsedFiles, 1);
  t.is(result.stats.parsedOnWorkers, 1);
  t.true(answered >= 20, `only ${answered} /healthz answers during the load`);
  if (!result.ok) return void t.fail(result.errors.map((e) => e.message).join('\n'));
  const doc = result.state.get('Team', 'acme', 'largest')!;
  t.true(Object.keys(doc.object.spec).length > 5);
  t.is(doc.hash, contentHash(doc.object));
});

test('a worker that takes longer than the parse budget is stopped, and the file gets a LIMIT_EXCEEDED error', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  repo.commit({ 'orgs/acme/teams/largest.yaml': largestAllowed() });
  // No parse of a megabyte of YAML takes under a millisecond.
  const loader = createLoader({ parseBudgetMs: 1 });
  const r = await loader.load(await repo.snapshot());
  t.deepEqual(r.ok ? [] : r.errors.map((e) => `${e.path}:${e.line}:${e.column} ${e.code}`), ['orgs/acme/teams/largest.yaml:1:1 LIMIT_EXCEEDED']);
  t.regex(r.ok ? '' : r.errors[0]!.message, /took over 0.001 s and was stopped/);
  // A stopped parse is not cached: the next load of the same revision parses that file again (and only it).
  const again = await loader.load(await repo.snapshot());
  t.is(again.stats.parsedFiles, 1);
  t.is(again.stats.cachedFiles, again.stats.files - 1);
});
