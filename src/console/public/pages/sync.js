import { call } from '../api.js';
import { Badge, ErrorList, Failure, html, short, useLiveData, when } from '../ui.js';

/** Sync status, run history (platform tokens) and every validation error as path:line:column. */
export function SyncPage({ me }) {
  const { data, error } = useLiveData(async () => {
    const status = (await call('sync')).data;
    const runs = me.org === '*' ? (await call('syncRuns', { query: { limit: 50 } })).data.items : [];
    const orgErrors = me.org === '*' ? [] : (await call('resourceIndex', { params: { org: me.org }, query: { limit: 1 } })).data.errors;
    return { status, runs, orgErrors };
  }, (e) => /^(Sync|Validation)/.test(e.type), [me.org]);
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  const s = data.status;
  const errors = me.org === '*' ? s.lastRun?.errors : data.orgErrors;
  return html`<main><h1>Sync</h1>
    <p>State <${Badge} value=${s.state} /> · synced <code>${short(s.syncedRevision)}</code> · fetched <code>${short(s.fetchedRevision)}</code> · ${s.message ?? ''}</p>
    <${ErrorList} title=${`Errors of revision ${short(s.lastRun?.revision)}`} errors=${errors} />
    ${data.runs.length ? html`<h2>Runs</h2><table><thead><tr><th>#</th><th>revision</th><th>outcome</th><th>started</th><th>finished</th><th>counts</th></tr></thead><tbody>
      ${data.runs.map((r) => html`<tr><td>${r.id}</td><td><code>${short(r.revision)}</code></td><td><${Badge} value=${r.outcome} /></td><td>${when(r.startedAt)}</td><td>${when(r.finishedAt)}</td><td><code>${JSON.stringify(r.counts)}</code></td></tr>`)}</tbody></table>` : null}
  </main>`;
}
