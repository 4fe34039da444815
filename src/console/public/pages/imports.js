import { useState } from '/console/vendor/hooks.mjs';
import { call } from '../api.js';
import { Badge, Failure, html, useLiveData } from '../ui.js';

/** Memory imports of an org; those awaiting review can be approved or rejected (with a reason) by writers. */
export function ImportsPage({ me, org }) {
  const { data, error } = useLiveData(async () => (await call('imports', { params: { org }, query: { limit: 100 } })).data.items, (e) => e.org === org && /^(MEMORY_IMPORT_|ADDED|MODIFIED)/.test(e.type), [org]);
  const [outcome, setOutcome] = useState();
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  const canReview = me.role !== 'reader';
  async function review(name, approve) {
    const reason = approve ? undefined : prompt('Why is this import rejected?');
    if (!approve && !reason) return;
    try {
      await call(approve ? 'approveImport' : 'rejectImport', { params: { org, name }, body: approve ? {} : { reason } });
      setOutcome({ done: `${name}: ${approve ? 'approved' : 'rejected'}` });
    } catch (err) {
      setOutcome({ error: err });
    }
  }
  return html`<main><h1>Memory imports of ${org}</h1>
    ${outcome?.done ? html`<p class="badge good">${outcome.done}</p>` : null}<${Failure} error=${outcome?.error} />
    <table><thead><tr><th>import</th><th>phase</th><th>entries</th><th>flagged</th><th>hint</th><th></th></tr></thead><tbody>
    ${data.map((m) => html`<tr><td>${m.metadata.name}</td><td><${Badge} value=${m.status?.phase} /></td><td>${(m.spec.entries ?? []).length}</td>
      <td><pre>${JSON.stringify(m.status?.flaggedEntries ?? [], null, 1)}</pre></td><td>${m.status?.reviewerHint ?? ''}</td>
      <td>${canReview && m.status?.phase === 'AwaitingReview' ? html`<button onClick=${() => review(m.metadata.name, true)}>Approve</button> <button onClick=${() => review(m.metadata.name, false)}>Reject</button>` : null}</td></tr>`)}
    </tbody></table></main>`;
}
