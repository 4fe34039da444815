// Console figures: what the browser downloads (raw and gzip), and how long an org page over N resources takes
// to show its first page in Debian's Chromium against a real `kradle serve` (PGlite, plan-only).
// N defaults to 10,000: `BENCH_CONSOLE_RESOURCES=2000 npm run bench -- console` for a quicker run.
import { gzipSync } from 'node:zlib';
import { cpus, loadavg } from 'node:os';
import { CONSOLE_FILES } from '../src/console/index.ts';
import { launchChromium, startConsoleWorld } from '../test/console/harness.ts';
import { median } from './support/median.ts';

const N = Number(process.env.BENCH_CONSOLE_RESOURCES ?? 10_000);

function bundle() {
  let raw = 0;
  let gz = 0;
  let ownRaw = 0;
  for (const [url, f] of CONSOLE_FILES()) {
    raw += f.body.length;
    gz += gzipSync(f.body).length;
    if (!url.startsWith('/console/vendor/')) ownRaw += f.body.length;
  }
  console.log(`bundle: ${CONSOLE_FILES().size} files, ${(raw / 1024).toFixed(1)} KB raw, ${(gz / 1024).toFixed(1)} KB gzip (files gzipped one by one); console's own code ${(ownRaw / 1024).toFixed(1)} KB`);
}

function repo(n: number): Record<string, string> {
  const files: Record<string, string> = {
    'orgs/big/organization.yaml': 'apiVersion: kradle.a5c.ai/v1alpha1\nkind: Organization\nmetadata:\n  name: big\nspec:\n  displayName: Big\n  namespaceName: kradle-org-big\n',
  };
  for (let i = 0; i < n; i++) {
    const name = `team-${String(i).padStart(5, '0')}`;
    files[`orgs/big/teams/${name}.yaml`] = `apiVersion: kradle.a5c.ai/v1alpha1\nkind: Team\nmetadata:\n  name: ${name}\nspec:\n  organizationRef: big\n  displayName: Team ${i}\n`;
  }
  return files;
}

bundle();
const t0 = performance.now();
const world = await startConsoleWorld(repo(N));
const admin = (await world.server.tokens.create({ org: 'big', role: 'reader', subject: 'bench' })).token;
/** GET /api/sync; a connection reset while the first sync keeps the event loop busy is asked again, not fatal. */
async function syncStatus(): Promise<{ syncedRevision?: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(`${world.server.url}/api/sync`, { headers: { authorization: `Bearer ${admin}` } })).json();
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code;
      if (attempt >= 20 || !['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code ?? '')) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
while (!(await syncStatus()).syncedRevision) await new Promise((r) => setTimeout(r, 250));
console.log(`server up and first sync of ${N + 1} resources: ${((performance.now() - t0) / 1000).toFixed(1)} s (not a console figure; for scale)`);

const apiTimes: number[] = [];
for (let i = 0; i < 5; i++) {
  const s = performance.now();
  const res = await fetch(`${world.server.url}/api/orgs/big/resource-index?limit=100&q=team-0`, { headers: { authorization: `Bearer ${admin}` } });
  await res.json();
  apiTimes.push(performance.now() - s);
}
const browser = await launchChromium();
const page = await (await browser.newContext()).newPage();
await page.goto(world.server.url + '/');
await page.getByPlaceholder('krd_…').fill(admin);
await page.getByRole('button', { name: 'Sign in' }).click();
await page.getByTestId('who').waitFor();
const loads: number[] = [];
for (let i = 0; i < 5; i++) {
  const start = Date.now();
  await page.goto(`${world.server.url}/#/org/big?kind=Team&run=${i}`);
  await page.reload();
  await page.locator('[data-resource="Team/team-00000"]').waitFor({ timeout: 60_000 });
  loads.push(Date.now() - start);
}
const last = `team-${String(N - 1).padStart(5, '0')}`;
const searchStart = Date.now();
await page.getByLabel('search').fill(last);
await page.locator(`[data-resource="Team/${last}"]`).waitFor({ timeout: 60_000 });
const search = Date.now() - searchStart;
console.log(`resource-index API, page of 100 of ${N} (search): median ${median(apiTimes).toFixed(0)} ms`);
console.log(`org page over ${N} resources, reload to first row rendered in Chromium: median ${median(loads)} ms (runs: ${loads.join(', ')} ms)`);
console.log(`server-side search typed -> matching row shown: ${search} ms`);
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (shared; treat as orders of magnitude)`);
await browser.close();
await world.close();
