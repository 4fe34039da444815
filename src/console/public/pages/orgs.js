import { call } from '../api.js';
import { Badge, ErrorList, Failure, html, short, useLiveData, when } from '../ui.js';

const countBy = (rows, key) => rows.reduce((acc, r) => ({ ...acc, [r[key]]: (acc[r[key]] ?? 0) + 1 }), {});

/** Every org the session may see, with health and sync counts, the last sync and its errors. */
export function OrgsPage() {
  const { data, error } = useLiveData(async () => (await call('controller')).data, (e) => /^(Resource|Sync|Validation)/.test(e.type), []);
  if (error) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  const run = data.sync.lastRun;
  return html`<main><h1>Organizations</h1>
    <p>Sync <${Badge} value=${data.sync.state} /> revision <code>${short(data.sync.syncedRevision)}</code>
      · last run <${Badge} value=${run?.outcome} /> ${when(run?.finishedAt)}</p>
    <${ErrorList} title="Last sync errors" errors=${run?.errors} />
    <div class="cards">${data.organizations.map((o) => {
      const rows = Object.values(o.resources).flat();
      const health = countBy(rows, 'health');
      const sync = countBy(rows, 'syncStatus');
      return html`<div class="card" data-org=${o.org}>
        <h2><a href=${`#/org/${o.org}`}>${data.orgs.find((x) => x.slug === o.org)?.displayName ?? o.org}</a></h2>
        <p>${rows.length} resources</p>
        <p>${Object.entries(health).map(([k, n]) => html`<${Badge} value=${k} /> ${n} `)}</p>
        <p>${Object.entries(sync).map(([k, n]) => html`<${Badge} value=${k} /> ${n} `)}</p>
        <p><a href=${`#/runs/${o.org}`}>${o.pendingApprovals.length} pending approvals</a> · <a href=${`#/imports/${o.org}`}>${o.pendingMemoryImports.length} imports to review</a> · <a href=${`#/audit/${o.org}`}>audit</a></p>
      </div>`;
    })}</div></main>`;
}
