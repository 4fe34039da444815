import { useRef, useState } from '/console/vendor/hooks.mjs';
import { ApiError, call, formatDetail } from '../api.js';
import { Badge, Failure, html, short, useLiveData, when } from '../ui.js';
import { placeInEdit, syntaxErrors } from '../yaml-positions.js';

// yaml's browser build is 73 modules: fetched when a resource page first opens, not with every page of the console.
let yamlModule;
const loadYaml = () => (yamlModule ??= import('/console/vendor/yaml/index.js'));

const editable = (r) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.metadata.name, ...(r.metadata.labels && Object.keys(r.metadata.labels).length ? { labels: r.metadata.labels } : {}), ...(r.metadata.annotations ? { annotations: r.metadata.annotations } : {}) }, spec: r.spec });

async function load(org, kind, name) {
  const [tree, one, index, YAML] = await Promise.all([
    call('tree', { params: { org, kind, name } }),
    call('resource', { params: { org, kind, name } }),
    call('resourceIndex', { params: { org }, query: { kind, q: name, limit: 500 } }),
    loadYaml(),
  ]);
  const row = index.data.items.find((r) => r.name === name);
  return { ...tree.data, YAML, etag: one.headers.get('etag'), status: one.data.status ?? {}, file: row?.source, source: row && `${row.source}:${row.line}` };
}

/** A refused edit: each error at its place in the edited text; choosing one selects that line in the editor. */
function EditErrors({ error, onPick }) {
  if (!error) return null;
  const pick = (d) => (e) => { e.preventDefault(); onPick(d.offset); };
  return html`<div class="errors" role="alert"><strong>${error.code ?? 'ERROR'}: ${error.message}</strong><ul>${(error.details ?? []).map((d) => html`<li>${d.offset === undefined ? formatDetail(d) : html`<a href="#" onClick=${pick(d)}>${formatDetail(d)}</a>`}</li>`)}</ul></div>`;
}

/** One config resource: spec as YAML, source, conditions, produced objects, revisions, events; edits are commits. */
export function ResourcePage({ me, org, kind, name }) {
  const relevant = (e) => e.org === org && ((e.kind === kind && e.name === name) || /^Sync/.test(e.type));
  const { data, error } = useLiveData(() => load(org, kind, name), relevant, [org, kind, name]);
  const [draft, setDraft] = useState();
  // The version the draft started from: a live refresh while editing must not move it, or a change made by
  // someone else in between would be overwritten instead of answered with a conflict.
  const [base, setBase] = useState();
  const [outcome, setOutcome] = useState();
  const editor = useRef();
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  const { YAML } = data;
  const { stringify } = YAML;
  const file = data.file ?? `${kind}/${name}`;
  const r = data.resource;
  function select(offset) {
    const ta = editor.current;
    if (!ta) return;
    const end = ta.value.indexOf('\n', offset);
    ta.focus();
    ta.setSelectionRange(offset, end < 0 ? ta.value.length : end);
  }
  const canWrite = me.role !== 'reader';
  async function save() {
    const syntax = syntaxErrors(YAML, draft, file);
    if (syntax.length) return setOutcome({ error: { code: 'YAML_SYNTAX', message: 'the edit is not valid YAML; nothing was sent', details: syntax } });
    const doc = YAML.parse(draft);
    try {
      const res = await call('apply', { params: { org }, body: doc, headers: { 'if-match': base } });
      setOutcome({ done: `committed ${short(res.data.commit)}` });
      setDraft(undefined);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        const current = await call('resource', { params: { org, kind, name } }).catch(() => undefined);
        setOutcome({ error: err, current: current && stringify(editable(current.data)) });
      } else if (err instanceof ApiError) {
        setOutcome({ error: { code: err.code, message: err.message, details: placeInEdit(YAML, err.details, draft, file) } });
      } else setOutcome({ error: err });
    }
  }
  return html`<main><h1>${kind} ${name}</h1>
    <p>Org <a href=${`#/org/${org}`}>${org}</a> · source <code data-testid="source">${data.source ?? '—'}</code> · phase <${Badge} value=${data.status.phase} />
      · applied <code>${short(data.status.lastAppliedRevision)}</code> · attempted <code>${short(data.status.lastAttemptedRevision)}</code> · loaded <code>${short(data.status.revision)}</code></p>
    <h2>Conditions</h2>
    <table><tbody>${(data.status.conditions ?? []).map((c) => html`<tr><td>${c.type}</td><td><${Badge} value=${c.status} /></td><td>${c.reason}</td><td>${c.message}</td><td>${when(c.lastTransitionTime)}</td></tr>`)}</tbody></table>
    <h2>Objects</h2>
    <table><thead><tr><th>object</th><th>sync</th><th>health</th><th>revision</th></tr></thead><tbody>${data.objects.map((o) => html`<tr>
      <td>${o.target.kind} ${o.target.namespace ? `${o.target.namespace}/` : ''}${o.target.name}</td><td><${Badge} value=${o.syncStatus} /></td><td><${Badge} value=${o.health} /></td><td><code>${short(o.revision)}</code></td></tr>`)}</tbody></table>
    <h2>Spec</h2>
    ${draft === undefined
      ? html`<pre data-testid="yaml">${stringify(editable(r))}</pre>${canWrite ? html`<button onClick=${() => { setDraft(stringify(editable(r))); setBase(data.etag); setOutcome(undefined); }}>Edit as YAML</button>` : null}`
      : html`<textarea aria-label="yaml" ref=${editor} value=${draft} onInput=${(e) => setDraft(e.target.value)} /><div class="row"><button onClick=${save}>Commit</button><button onClick=${() => setDraft(undefined)}>Cancel</button></div>`}
    ${outcome?.done ? html`<p class="good badge">${outcome.done}</p>` : null}
    <${EditErrors} error=${outcome?.error} onPick=${select} />
    ${outcome?.current ? html`<h3>The current version (someone changed it since you read it)</h3><pre>${outcome.current}</pre>` : null}
    <h2>Recent events</h2>
    <table><tbody>${[...data.events].reverse().map((e) => html`<tr><td>${e.seq}</td><td>${e.type}</td><td>${when(e.createdAt)}</td><td><code>${JSON.stringify(e.payload)}</code></td></tr>`)}</tbody></table>
  </main>`;
}
