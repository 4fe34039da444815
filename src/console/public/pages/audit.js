import { call } from '../api.js';
import { Failure, html, useLiveData, when } from '../ui.js';

/** The org's audit log, newest first. */
export function AuditPage({ org }) {
  const { data, error } = useLiveData(async () => (await call('audit', { params: { org }, query: { limit: 200, order: 'desc' } })).data.items, (e) => e.org === org, [org]);
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  return html`<main><h1>Audit log of ${org}</h1><table><thead><tr><th>when</th><th>actor</th><th>action</th><th>resource</th></tr></thead><tbody>
    ${data.map((a) => html`<tr><td>${when(a.at ?? a.createdAt)}</td><td>${a.actor}</td><td>${a.action}</td><td>${a.resource ? `${a.resource.kind}/${a.resource.name}` : ''}</td></tr>`)}
  </tbody></table></main>`;
}
