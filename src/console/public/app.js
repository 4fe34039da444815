import { render } from '/console/vendor/preact.mjs';
import { useEffect, useState } from '/console/vendor/hooks.mjs';
import { ApiError, call, setCsrf } from './api.js';
import { onConnection, startLive, stopLive } from './live.js';
import { html, Failure } from './ui.js';
import { useRoute } from './route.js';
import { OrgsPage } from './pages/orgs.js';
import { OrgPage } from './pages/org.js';
import { ResourcePage } from './pages/resource.js';
import { SyncPage } from './pages/sync.js';
import { PreviewsPage } from './pages/previews.js';
import { RunsPage } from './pages/runs.js';
import { ImportsPage } from './pages/imports.js';
import { AuditPage } from './pages/audit.js';
import { EventsPage } from './pages/events.js';

function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState();
  async function submit(e) {
    e.preventDefault();
    try {
      const { data } = await call('signIn', { body: { token: token.trim() } });
      setToken('');
      onSignedIn(data);
    } catch (err) {
      setError(err);
    }
  }
  return html`<main><h1>Sign in to Kradle</h1>
    <form onSubmit=${submit}>
      <p>Paste an API token (<code>kradle token create</code>). It is exchanged for a session cookie and not kept by the page.</p>
      <div class="row"><input name="token" type="password" autocomplete="off" size="70" value=${token} onInput=${(e) => setToken(e.target.value)} placeholder="krd_…" />
      <button type="submit">Sign in</button></div>
      <${Failure} error=${error} />
    </form></main>`;
}

function Page({ route, me }) {
  const [page, org, ...rest] = route.parts;
  const q = route.query;
  if (!page || page === 'orgs') return html`<${OrgsPage} />`;
  if (page === 'org' && rest[0] === 'r') return html`<${ResourcePage} me=${me} org=${org} kind=${rest[1]} name=${rest[2]} />`;
  if (page === 'org') return html`<${OrgPage} org=${org} query=${q} />`;
  if (page === 'runs') return html`<${RunsPage} me=${me} org=${org} />`;
  if (page === 'imports') return html`<${ImportsPage} me=${me} org=${org} />`;
  if (page === 'audit') return html`<${AuditPage} org=${org} />`;
  if (page === 'sync') return html`<${SyncPage} me=${me} />`;
  if (page === 'previews') return html`<${PreviewsPage} query=${q} />`;
  if (page === 'events') return html`<${EventsPage} />`;
  return html`<main><p>No such page. <a href="#/">Organizations</a></p></main>`;
}

function App() {
  const [me, setMe] = useState();
  const [checked, setChecked] = useState(false);
  const [live, setLive] = useState(false);
  const route = useRoute();
  useEffect(() => onConnection(setLive), []);
  useEffect(() => {
    call('session').then(({ data }) => setMe(data), () => setMe(undefined)).finally(() => setChecked(true));
  }, []);
  useEffect(() => {
    if (!me) return stopLive();
    setCsrf(me.csrfToken);
    // When the stream gives up, the session may have ended (revoked, expired): then the page signs out. Any
    // other failure (a server restarting answers 503 until it is ready, or is not reachable at all) is retried.
    startLive(async () => {
      try {
        await call('session');
        return true;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 401)) return true;
        setMe(undefined);
        return false;
      }
    });
    return stopLive;
  }, [me]);
  async function signOut() {
    await call('signOut').catch(() => undefined);
    setCsrf('');
    setMe(undefined);
  }
  if (!checked) return html`<main>Loading…</main>`;
  if (!me) return html`<${SignIn} onSignedIn=${setMe} />`;
  const orgLinks = me.org === '*' ? null : html`<a href=${`#/runs/${me.org}`}>Agent runs</a><a href=${`#/imports/${me.org}`}>Memory imports</a><a href=${`#/audit/${me.org}`}>Audit</a>`;
  return html`<div>
    <header><strong>Kradle</strong><a href="#/">Organizations</a><a href="#/sync">Sync</a>${me.org === '*' ? html`<a href="#/previews">Previews</a>` : null}${orgLinks}<a href="#/events">Events</a>
      <span class=${live ? 'live' : 'offline'} data-live=${String(live)}>${live ? '● live' : '○ reconnecting'}</span>
      <span class="who" data-testid="who">${me.subject} (${me.role} on ${me.org === '*' ? 'all orgs' : me.org})</span>
      <button onClick=${signOut}>Sign out</button></header>
    <${Page} route=${route} me=${me} />
  </div>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
