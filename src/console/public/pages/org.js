import { useEffect, useState } from '/console/vendor/hooks.mjs';
import { call } from '../api.js';
import { onEvent } from '../live.js';
import { setQuery } from '../route.js';
import { Badge, ErrorList, Failure, html, short, useLiveData, when } from '../ui.js';

const PAGE = 100;

/**
 * An org's config resources: facets by kind, server-side search and status filter, worst first, 100 a page.
 * The filters and the page live in the route's query (`#/org/acme?kind=Team&q=web&status=Degraded&offset=100`),
 * so a reload, a shared link and back/forward show the same list.
 */
export function OrgPage({ org, query }) {
  const kind = query.get('kind') ?? '';
  const q = query.get('q') ?? '';
  const status = query.get('status') ?? '';
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const filters = { kind, q, status, offset };
  // The org's errors as its last sync event told them: they arrive with the event, before any refetch could race
  // the controller recording them. Until an event comes, the page shows what it fetched.
  const [eventErrors, setEventErrors] = useState();
  useEffect(() => {
    setEventErrors(undefined);
    return onEvent((e) => {
      if (e.org !== org) return;
      if (e.type === 'ValidationFailed') setEventErrors(e.payload.errors);
      else if (e.type === 'SyncSucceeded' || e.type === 'SyncFailed') setEventErrors([]);
    });
  }, [org]);
  const relevant = (e) => e.org === org && /^(Resource|Sync|Validation)/.test(e.type);
  const { data, error } = useLiveData(async () => (await call('resourceIndex', { params: { org }, query: { kind, q, status, offset, limit: PAGE } })).data, relevant, [org, kind, q, status, offset]);
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  // A changed filter starts at the first page. Each choice is a history entry; typing a search is one entry
  // (the keystrokes after the first replace it), not one per key.
  const pick = (name) => (e) => setQuery({ ...filters, [name]: e.target.value, offset: 0 }, { replace: name === 'q' && q !== '' });
  const page = (to) => setQuery({ ...filters, offset: to });
  return html`<main><h1>${org}</h1>
    <p>Revision <code data-testid="revision">${short(data.revision)}</code> · sync <${Badge} value=${data.sync.state} /> <${Badge} value=${data.sync.outcome} /> ${when(data.sync.finishedAt)}
      · <a href=${`#/runs/${org}`}>agent runs</a> · <a href=${`#/imports/${org}`}>memory imports</a> · <a href=${`#/audit/${org}`}>audit</a></p>
    <${ErrorList} title="This org's configuration has errors (the last good revision stays applied)" errors=${eventErrors ?? data.errors} />
    <div class="row">
      <select aria-label="kind" value=${kind} onChange=${pick('kind')}><option value="">all kinds</option>${Object.entries(data.kinds).sort().map(([k, n]) => html`<option value=${k}>${k} (${n})</option>`)}</select>
      <input aria-label="search" placeholder="name or file" value=${q} onInput=${pick('q')} />
      <select aria-label="status" value=${status} onChange=${pick('status')}><option value="">any status</option>${Object.entries(data.counts).map(([k, n]) => html`<option value=${k}>${k} (${n})</option>`)}</select>
      <span>${data.total} shown of ${Object.values(data.kinds).reduce((a, b) => a + b, 0)}</span>
    </div>
    <table><thead><tr><th>kind</th><th>name</th><th>sync</th><th>health</th><th>objects</th><th>source</th></tr></thead>
      <tbody>${data.items.map((r) => html`<tr data-resource=${`${r.kind}/${r.name}`}>
        <td>${r.kind}</td><td><a href=${`#/org/${org}/r/${r.kind}/${r.name}`}>${r.name}</a></td>
        <td><${Badge} value=${r.syncStatus} /></td><td><${Badge} value=${r.health} /></td><td>${r.objects}</td><td><code>${r.source}:${r.line}</code></td></tr>`)}</tbody></table>
    <div class="row">
      <button disabled=${offset === 0} onClick=${() => page(Math.max(0, offset - PAGE))}>Previous</button>
      <span>${data.total ? offset + 1 : 0}–${Math.min(offset + PAGE, data.total)} of ${data.total}</span>
      <button disabled=${offset + PAGE >= data.total} onClick=${() => page(offset + PAGE)}>Next</button>
    </div></main>`;
}
