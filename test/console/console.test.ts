import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { orgDocs } from '../support/sync-harness.ts';
import { launchChromium, startConsoleWorld, type ConsoleWorld } from './harness.ts';

// One server and one browser for the file: each case signs in its own user in its own browser context.
let world: ConsoleWorld;
let browser: Browser;
const pageServers: Server[] = [];
let listedOrigin = '';
let otherOrigin = '';

/** A bare page on another origin, for the CORS cases. */
async function originServer(host: string): Promise<string> {
  const s = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>dashboard</title>'));
  s.listen(0, host);
  await once(s, 'listening');
  pageServers.push(s);
  return `http://${host}:${(s.address() as AddressInfo).port}`;
}

const team = (org: string, name: string, extra = '') => `apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: ${name}
spec:
  organizationRef: ${org}
  displayName: ${name}
${extra}`;

test.before(async () => {
  listedOrigin = await originServer('127.0.0.1');
  otherOrigin = (await originServer('127.0.0.1')).replace('127.0.0.1', 'localhost');
  world = await startConsoleWorld({ ...orgDocs('acme'), ...orgDocs('globex') }, { corsOrigins: [listedOrigin] });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await world?.close();
  for (const s of pageServers) s.close();
});

async function token(org: string, role: 'admin' | 'writer' | 'reader', subject: string): Promise<string> {
  return (await world.server.tokens.create({ org, role, subject })).token;
}

async function signedIn(org: string, role: 'admin' | 'writer' | 'reader', subject: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(world.server.url + '/');
  await page.getByPlaceholder('krd_…').fill(await token(org, role, subject));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  return page;
}

/** Calls the API from inside the page, as its own scripts would (same origin, the session cookie). */
function pageFetch(page: Page, path: string, init: { method?: string; body?: unknown; csrf?: boolean } = {}) {
  return page.evaluate(async ({ path, init }) => {
    const me = await (await fetch('/api/session')).json();
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.csrf) headers['x-csrf-token'] = me.csrfToken;
    const res = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  }, { path, init });
}

async function apiPost(path: string, bearer: string, body: unknown) {
  const res = await fetch(world.server.url + path, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

test.serial('sign in with a token, the cookie is HttpOnly and not the token; sign out ends the session', async (t) => {
  const page = await signedIn('acme', 'reader', 'ann');
  t.regex(await page.getByTestId('who').innerText(), /ann \(reader on acme\)/);
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'kradle_session');
  t.truthy(session);
  t.true(session!.httpOnly);
  t.is(session!.sameSite, 'Lax');
  t.is(await page.evaluate(() => document.cookie), '', 'scripts cannot read the session cookie');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  t.is((await page.evaluate(async () => (await fetch('/api/session')).status)), 401);
  await page.context().close();
});

test.serial('a refused call shows its code and message: a bad token at sign-in, another org, a resource that does not exist', async (t) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  t.teardown(() => context.close());
  await page.goto(world.server.url + '/');
  await page.getByPlaceholder('krd_…').fill('krd_0000000000000000_not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  t.regex(await page.getByRole('alert').innerText(), /^UNAUTHORIZED: \S/);
  await page.getByPlaceholder('krd_…').fill(await token('acme', 'reader', 'uma'));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  await page.goto(world.server.url + '/#/org/globex');
  t.regex(await page.getByRole('alert').innerText(), /^FORBIDDEN: \S/);
  await page.goto(world.server.url + '/#/org/acme/r/Team/no-such-team');
  t.regex(await page.getByRole('alert').innerText(), /^NOT_FOUND: .*no-such-team/);
});

test.serial('a commit pushed to the config repo appears on the org page without a reload; a broken one shows its error with file and line', async (t) => {
  const page = await signedIn('acme', 'reader', 'rita');
  await page.goto(world.server.url + '/#/org/acme');
  await page.locator('[data-resource="Team/platform"]').waitFor();
  await page.locator('[data-live="true"]').waitFor();
  await page.evaluate(() => Object.assign(window, { notReloaded: true }));

  world.work.commit({ 'orgs/acme/teams/web.yaml': team('acme', 'web') }, 'add team web');
  await world.push();
  await page.locator('[data-resource="Team/web"]').waitFor({ timeout: 30_000 });
  t.true(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true), 'the page was not reloaded');

  world.work.commit({ 'orgs/acme/teams/broken.yaml': team('acme', 'broken').replace('  displayName: broken\n', '') }, 'break acme');
  await world.push();
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 30_000 });
  t.regex(await alert.innerText(), /orgs\/acme\/teams\/broken\.yaml:\d+:\d+: SCHEMA_VIOLATION/);

  world.work.commit({ 'orgs/acme/teams/broken.yaml': null }, 'fix acme');
  await world.push();
  await alert.waitFor({ state: 'detached', timeout: 30_000 });
  t.true(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true));
  await page.context().close();
});

test.serial("the org page's filters are in the URL: a reload or a shared link restores them, back and forward step through them", async (t) => {
  const page = await signedIn('acme', 'reader', 'fran');
  t.teardown(() => page.context().close());
  await page.goto(world.server.url + '/#/org/acme');
  await page.locator('[data-resource="AgentServiceAccount/runner"]').waitFor();
  const [kind, search, status] = [page.getByLabel('kind'), page.getByLabel('search'), page.getByLabel('status')];
  const rows = () => page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-resource')));
  const hash = () => page.evaluate(() => location.hash);
  const shows = async (filters: { kind: string; q: string; status: string }, resources?: (string | null)[]) => {
    // No named function inside: tsx compiles one into a __name() call, which the page does not have.
    await page.waitForFunction((f) => [['kind', f.kind], ['search', f.q], ['status', f.status]]
      .every(([label, want]) => (document.querySelector(`[aria-label="${label}"]`) as HTMLInputElement | null)?.value === want), filters);
    if (resources) await page.waitForFunction((want) => JSON.stringify([...document.querySelectorAll('tbody tr')].map((tr) => tr.getAttribute('data-resource'))) === JSON.stringify(want), resources);
  };

  await kind.selectOption('Team');
  await page.waitForFunction(() => location.hash === '#/org/acme?kind=Team');
  await page.locator('[data-resource="AgentServiceAccount/runner"]').waitFor({ state: 'detached' });
  await search.fill('plat');
  await page.waitForFunction(() => location.hash === '#/org/acme?kind=Team&q=plat');
  await shows({ kind: 'Team', q: 'plat', status: '' }, ['Team/platform']);
  const picked = await status.locator('option').nth(1).getAttribute('value');
  await status.selectOption(picked!);
  await page.waitForFunction((s) => location.hash === `#/org/acme?kind=Team&q=plat&status=${s}`, picked);
  const filtered = await rows();

  await page.reload();
  await shows({ kind: 'Team', q: 'plat', status: picked! }, filtered);
  t.is(await hash(), `#/org/acme?kind=Team&q=plat&status=${picked}`);

  // Back and forward step through the filters chosen, and the list follows.
  await page.goBack();
  await shows({ kind: 'Team', q: 'plat', status: '' }, ['Team/platform']);
  await page.goBack();
  await shows({ kind: 'Team', q: '', status: '' });
  t.false((await rows()).some((r) => !r!.startsWith('Team/')));
  await page.goForward();
  await shows({ kind: 'Team', q: 'plat', status: '' }, ['Team/platform']);

  // Into a resource and back: the list is where it was.
  await page.getByRole('link', { name: 'platform' }).click();
  await page.waitForFunction(() => location.hash === '#/org/acme/r/Team/platform');
  await page.goBack();
  await shows({ kind: 'Team', q: 'plat', status: '' }, ['Team/platform']);

  // A link someone shares opens with its filters.
  const shared = await page.context().newPage();
  await shared.goto(`${world.server.url}/#/org/acme?kind=AgentServiceAccount&q=run`);
  await shared.locator('[data-resource="AgentServiceAccount/runner"]').waitFor();
  t.is(await shared.getByLabel('kind').inputValue(), 'AgentServiceAccount');
  t.is(await shared.getByLabel('search').inputValue(), 'run');
  t.deepEqual(await shared.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-resource'))), ['AgentServiceAccount/runner']);
});

test.serial('an approval is decided with the button; a reader sees no button and gets 403 if it tries', async (t) => {
  const writer = await token('acme', 'writer', 'wes');
  for (const name of ['ap-one', 'ap-two']) {
    const made = await apiPost('/api/orgs/acme/resources', writer, { kind: 'AgentApproval', metadata: { name }, spec: { organizationRef: 'acme', dispatchRun: `run-${name}`, action: 'write-back', requestedBy: 'agent' } });
    t.is(made.status, 201, JSON.stringify(made.body));
  }
  const admin = await signedIn('acme', 'admin', 'ada');
  await admin.goto(world.server.url + '/#/runs/acme');
  const row = admin.locator('[data-approval="ap-one"]');
  await row.getByRole('button', { name: 'Approve' }).click();
  await row.getByText('Approved').waitFor();
  t.is(await row.getByRole('button').count(), 0, 'a decided approval has no buttons');

  const reader = await signedIn('acme', 'reader', 'rob');
  await reader.goto(world.server.url + '/#/runs/acme');
  await reader.locator('[data-approval="ap-two"]').getByText('Pending').waitFor();
  t.is(await reader.getByRole('button', { name: 'Approve' }).count(), 0);
  t.is(await reader.getByRole('button', { name: 'Deny' }).count(), 0);
  const tried = await pageFetch(reader, '/api/orgs/acme/agents/approvals/ap-two/decide', { method: 'POST', body: { decision: 'approve' }, csrf: true });
  t.is(tried.status, 403);
  await admin.context().close();
  await reader.context().close();
});

test.serial('a cookie-authenticated write without the CSRF token is refused; with it, it is a commit', async (t) => {
  const page = await signedIn('acme', 'writer', 'wanda');
  const doc = { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'csrf-team' }, spec: { organizationRef: 'acme', displayName: 'x' } };
  const refused = await pageFetch(page, '/api/orgs/acme/resources', { method: 'POST', body: doc });
  t.is(refused.status, 403);
  t.is(refused.body.error.code, 'CSRF_REQUIRED');
  const ok = await pageFetch(page, '/api/orgs/acme/resources', { method: 'POST', body: doc, csrf: true });
  t.is(ok.status, 201, JSON.stringify(ok.body));
  t.regex(ok.body.commit, /^[0-9a-f]{40}$/);
  await page.context().close();
});

test.serial("an org reader's EventSource receives that org's config changes and no other org's", async (t) => {
  const page = await signedIn('acme', 'reader', 'eve');
  await page.evaluate(() => {
    const w = window as unknown as { got: any[]; otherFailed: boolean; ready: boolean };
    w.got = [];
    const es = new EventSource('/api/orgs/acme/events?named=false');
    es.onmessage = (m) => w.got.push(JSON.parse(m.data));
    es.onopen = () => (w.ready = true);
    const all = new EventSource('/api/events');
    all.addEventListener('ResourceCreated', (m) => w.got.push({ via: 'all', ...JSON.parse((m as MessageEvent).data) }));
    const other = new EventSource('/api/orgs/globex/events');
    other.onerror = () => (w.otherFailed = other.readyState === EventSource.CLOSED);
  });
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  world.work.commit({ 'orgs/globex/teams/g1.yaml': team('globex', 'g1'), 'orgs/acme/teams/a1.yaml': team('acme', 'a1') }, 'both orgs');
  await world.push();
  await page.waitForFunction(() => (window as unknown as { got: any[] }).got.filter((e) => e.type === 'ResourceCreated' && e.name === 'a1').length === 2, undefined, { timeout: 30_000 });
  const got = await page.evaluate(() => (window as unknown as { got: any[] }).got);
  const events = got.filter((e) => e.seq !== undefined);
  t.true(events.length > 0);
  t.true(events.every((e) => e.org === 'acme'), JSON.stringify(events.filter((e) => e.org !== 'acme')));
  t.false(events.some((e) => e.name === 'g1'));
  // The org's share of the sync: its own SyncStarted and outcome, of the run that created a1.
  await page.waitForFunction(() => (window as unknown as { got: any[] }).got.some((e) => e.type === 'SyncSucceeded' && e.via === undefined), undefined, { timeout: 30_000 });
  const share = (await page.evaluate(() => (window as unknown as { got: any[] }).got)).filter((e) => e.via === undefined && /^Sync/.test(e.type));
  const outcome = share.find((e) => e.type === 'SyncSucceeded');
  t.true(share.some((e) => e.type === 'SyncStarted' && e.name === outcome.name && e.org === 'acme'), JSON.stringify(share.map((e) => `${e.type} ${e.org} ${e.name}`)));
  t.true(await page.evaluate(() => (window as unknown as { otherFailed?: boolean }).otherFailed === true), 'another org stream is refused');
  await page.context().close();
});

test.serial('CORS: a page of a listed origin may call the API with its session; another origin may not', async (t) => {
  const tok = await token('acme', 'reader', 'cora');
  const context = await browser.newContext();
  const api = world.server.url;
  const listed = await context.newPage();
  await listed.goto(listedOrigin);
  const fromListed = await listed.evaluate(async ({ api, tok }) => {
    const signIn = await fetch(`${api}/api/session`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: tok }) });
    const me = await fetch(`${api}/api/session`, { credentials: 'include' });
    return { signIn: signIn.status, me: me.status, body: await me.json() };
  }, { api, tok });
  t.is(fromListed.signIn, 201);
  t.is(fromListed.me, 200);
  t.like(fromListed.body, { subject: 'cora', via: 'session' });

  const other = await context.newPage();
  await other.goto(otherOrigin);
  const fromOther = await other.evaluate(async ({ api }) => {
    try {
      await fetch(`${api}/api/session`, { credentials: 'include' });
      return 'answered';
    } catch (err) {
      return `blocked: ${(err as Error).name}`;
    }
  }, { api });
  t.is(fromOther, 'blocked: TypeError');
  await context.close();
});

test.serial('an edit as YAML is a commit with If-Match; a conflict shows the current version; a refused write shows positioned errors', async (t) => {
  const page = await signedIn('acme', 'writer', 'ed');
  await page.goto(world.server.url + '/#/org/acme/r/Team/platform');
  await page.getByTestId('yaml').waitFor();
  t.regex(await page.getByTestId('source').innerText(), /^orgs\/acme\/teams\/platform\.yaml:1$/);

  // A refused write: nothing is committed, and each error names its place (here a field of the document).
  await page.getByRole('button', { name: 'Edit as YAML' }).click();
  const editor = page.getByLabel('yaml');
  const refused = (await editor.inputValue()).replace(/displayName: .*/, 'displayName: 42\n  maintainers: 7');
  await editor.fill(refused);
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByRole('alert').waitFor();
  // Placed in the edited text: the line and column of the `maintainers` key, under the resource's file.
  const lines = refused.split('\n');
  const line = lines.findIndex((l) => l.includes('maintainers:')) + 1;
  const column = lines[line - 1]!.indexOf('maintainers') + 1;
  const shown = await page.getByRole('alert').innerText();
  t.true(shown.includes(`orgs/acme/teams/platform.yaml (edit):${line}:${column}: SCHEMA must be array (/spec/maintainers)`), shown);
  // Choosing the error selects that line in the editor.
  await page.getByRole('alert').getByRole('link', { name: /maintainers/ }).click();
  t.is(await editor.evaluate((el: HTMLTextAreaElement) => el.value.slice(el.selectionStart, el.selectionEnd)), 'maintainers: 7', 'from the key to the end of its line');
  t.is(await page.evaluate(() => location.hash), '#/org/acme/r/Team/platform', 'the link does not navigate');

  // A draft that is not YAML is refused before it is sent, with the place of the syntax error.
  await editor.fill(refused.replace('maintainers: 7', 'maintainers: [7'));
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByRole('alert').getByText(/YAML_SYNTAX/).first().waitFor();
  t.regex(await page.getByRole('alert').innerText(), /platform\.yaml \(edit\):\d+:\d+: YAML_SYNTAX /);
  await editor.fill(refused);

  // A good edit: a commit, and the page follows the sync.
  await editor.fill((await editor.inputValue()).replace(/displayName: 42\n  maintainers: 7/, 'displayName: Platform People'));
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByText(/committed [0-9a-f]{12}/).waitFor();
  await page.getByTestId('yaml').getByText('Platform People').waitFor({ timeout: 30_000 });

  // Someone else commits in between: the stale If-Match is a conflict, and the current version is shown.
  await page.getByRole('button', { name: 'Edit as YAML' }).click();
  const other = await apiPost('/api/orgs/acme/resources', await token('acme', 'writer', 'olga'), { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'platform' }, spec: { organizationRef: 'acme', displayName: 'Changed Elsewhere' } });
  t.is(other.status, 200, JSON.stringify(other.body));
  // The page may follow that sync meanwhile; the draft keeps the version it started from.
  await editor.fill((await editor.inputValue()).replace('Platform People', 'Mine'));
  await page.getByRole('button', { name: 'Commit' }).click();
  await page.getByText('The current version').waitFor();
  t.regex(await page.locator('pre').last().innerText(), /Changed Elsewhere/);
  await page.context().close();
});

test.serial('the audit page shows the newest entries first, and follows new ones', async (t) => {
  const writer = await token('acme', 'writer', 'audra');
  const write = (name: string) => apiPost('/api/orgs/acme/resources', writer, { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName: name } });
  t.is((await write('audit-first')).status, 201);
  t.is((await write('audit-second')).status, 201);
  const page = await signedIn('acme', 'reader', 'aude');
  t.teardown(() => page.context().close());
  await page.goto(world.server.url + '/#/audit/acme');
  const first = page.locator('tbody tr').first();
  await first.getByText('Team/audit-second').waitFor();
  t.is((await write('audit-third')).status, 201);
  await first.getByText('Team/audit-third').waitFor({ timeout: 30_000 });
  t.is((await pageFetch(page, '/api/orgs/acme/audit?order=sideways')).status, 400);
});

test.serial('the previews page shows the warnings of head apart from its errors', async (t) => {
  world.work.git('checkout', '-q', '-b', 'typo');
  world.work.commit({ 'orgs/acme/teams/typo.yaml': team('acme', 'typo', '  parentTeam: ghost\n') }, 'a team with a typo');
  world.work.git('push', '-q', 'origin', 'typo');
  world.work.git('checkout', '-q', 'main');
  const page = await signedIn('*', 'admin', 'pat');
  t.teardown(() => page.context().close());
  await page.goto(`${world.server.url}/#/previews?base=main&head=typo`);
  await page.getByRole('button', { name: 'Preview' }).click();
  const box = page.locator('.warnings');
  await box.waitFor();
  t.regex(await box.innerText(), /Warnings \(1\)[\s\S]*orgs\/acme\/teams\/typo\.yaml:8:3: UNKNOWN_FIELD spec\.parentTeam is not a field of Team; it is ignored/);
  t.is(await page.getByRole('alert').count(), 0, 'a warning is no alert: the head is valid');
  t.regex(await page.locator('main p').first().innerText(), /^Valid: main → typo/);
});

test.serial('the live stream comes back after the server restarts, through the 503s of its start-up', async (t) => {
  const page = await signedIn('acme', 'reader', 'remy');
  t.teardown(() => page.context().close());
  await page.goto(world.server.url + '/#/org/acme');
  await page.locator('[data-live=true]').waitFor();
  // A starting server answers every route 503 until it is ready: hold that phase until the console has met it
  // both on the stream and on its session check.
  let starting = true;
  let sessionChecked: () => void;
  const checked = new Promise<void>((resolve) => (sessionChecked = resolve));
  await page.route(/\/api\/(events|session)(\?|$)/, (route) => {
    if (!starting) return route.continue();
    if (route.request().url().includes('/api/session')) sessionChecked();
    return route.fulfill({ status: 503, headers: { 'retry-after': '1' }, contentType: 'application/json', body: JSON.stringify({ error: { code: 'STARTING', message: 'kradle is starting', details: [] } }) });
  });
  await world.restart();
  await page.locator('[data-live=false]').waitFor();
  await checked;
  starting = false;
  await page.locator('[data-live=true]').waitFor({ timeout: 30_000 });
  t.regex(await page.getByTestId('who').innerText(), /remy/, 'still signed in');
  world.work.commit({ 'orgs/acme/teams/after-restart.yaml': team('acme', 'after-restart') }, 'a team after the restart');
  await world.push();
  await page.locator('[data-resource="Team/after-restart"]').waitFor({ timeout: 30_000 });
  t.pass();
});

test.serial('a stream reset (a restored database) starts the live events over: the events before it are not shown twice', async (t) => {
  const page = await signedIn('acme', 'reader', 'rosa');
  t.teardown(() => page.context().close());
  const sse = (body: string) => ({ status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, body });
  const event = (seq: number, name: string) =>
    `id: ${seq}\ndata: ${JSON.stringify({ seq, type: 'ResourceUpdated', org: 'acme', kind: 'Team', name, payload: {}, createdAt: new Date().toISOString() })}\n\n`;
  // The first stream ends at once, so the browser reconnects; the second, held until the page shows, carries an
  // event, then the reset the server sends for a Last-Event-ID past its newest event, then the kept events again.
  let shown!: () => void;
  const pageShown = new Promise<void>((resolve) => (shown = resolve));
  let streams = 0;
  await page.route(/\/api\/events(\?|$)/, async (route) => {
    streams++;
    if (streams === 1) return route.fulfill(sse('retry: 300\ndata: {"type":"connected"}\n\n'));
    if (streams > 2) return route.continue();
    await pageShown;
    return route.fulfill(sse(`retry: 300\ndata: {"type":"connected"}\n\n${event(900, 'before-reset')}` +
      `data: ${JSON.stringify({ type: 'reset', lastEventId: 900, latest: 1 })}\n\n${event(1, 'after-reset')}`));
  });
  await page.goto(world.server.url + '/#/events');
  await page.reload();
  await page.getByRole('heading', { name: 'Live events' }).waitFor();
  shown();
  await page.locator('tr[data-event]', { hasText: 'Team/after-reset' }).waitFor({ timeout: 30_000 });
  t.is(await page.locator('tr[data-event]', { hasText: 'Team/before-reset' }).count(), 0);
});
