import { useState } from '/console/vendor/hooks.mjs';
import { call } from '../api.js';
import { ErrorList, Failure, html, WarningList } from '../ui.js';

/** Validation and resource diff of a head branch against a base, with the objects each change produces. */
export function PreviewsPage({ query }) {
  const [base, setBase] = useState(query.get('base') ?? 'main');
  const [head, setHead] = useState(query.get('head') ?? '');
  const [result, setResult] = useState();
  const [error, setError] = useState();
  async function run(e) {
    e.preventDefault();
    setError(undefined);
    try {
      setResult((await call('preview', { body: { base, head } })).data);
    } catch (err) {
      setError(err);
    }
  }
  const plan = result?.plan ?? {};
  const names = (list) => (list ?? []).map((c) => c.key ?? `${c.kind}/${c.name}`);
  return html`<main><h1>Preview</h1>
    <form class="row" onSubmit=${run}><label>base <input value=${base} onInput=${(e) => setBase(e.target.value)} /></label>
      <label>head <input value=${head} onInput=${(e) => setHead(e.target.value)} /></label><button type="submit">Preview</button></form>
    <${Failure} error=${error} />
    ${result ? html`<p>${result.valid ? 'Valid' : 'Invalid'}: ${result.base} → ${result.head}</p>
      <${ErrorList} errors=${result.errors} />
      <${WarningList} warnings=${result.warnings} />
      <h2>Created</h2><ul>${names(plan.created).map((n) => html`<li>${n}</li>`)}</ul>
      <h2>Changed</h2><ul>${(plan.changed ?? []).map((c) => html`<li>${c.key}<pre>${JSON.stringify(c.changes, null, 1)}</pre></li>`)}</ul>
      <h2>Deleted</h2><ul>${names(plan.deleted).map((n) => html`<li>${n}</li>`)}</ul>
      <details><summary>Objects and full plan</summary><pre>${JSON.stringify(plan, null, 1)}</pre></details>` : null}
  </main>`;
}
