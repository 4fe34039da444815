import { useState } from '/console/vendor/hooks.mjs';
import { call } from '../api.js';
import { Badge, Failure, html, useLiveData, when } from '../ui.js';

/**
 * Who may decide, as the server decides it (spec §9): an admin of the org (or platform), or a writer listed as
 * maintainer or approver of one of the org's Teams. Others see no buttons; the server refuses them anyway.
 */
function mayDecide(me, teams) {
  if (me.role === 'admin') return true;
  if (me.role !== 'writer') return false;
  const names = (v) => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x.split('/').pop() : x?.name)) : []);
  return teams.some((t) => [...names(t.spec.maintainers), ...names(t.spec.approvers)].includes(me.subject));
}

async function load(org) {
  const [runs, approvals, teams] = await Promise.all([
    call('runs', { params: { org }, query: { limit: 100 } }),
    call('runtime', { params: { org, kind: 'AgentApproval' }, query: { limit: 200 } }),
    call('list', { params: { org }, query: { kind: 'Team', limit: 500 } }),
  ]);
  return { runs: runs.data.items, approvals: approvals.data.items, teams: teams.data.items };
}

/** Agent dispatch runs with their phase, steps and approvals; Approve and Deny for those allowed to decide. */
export function RunsPage({ me, org }) {
  const { data, error } = useLiveData(() => load(org), (e) => e.org === org && /^(RUN_|STEP_|APPROVAL_|ADDED|MODIFIED)/.test(e.type), [org]);
  const [outcome, setOutcome] = useState();
  if (error && !data) return html`<main><${Failure} error=${error} /></main>`;
  if (!data) return html`<main>Loading…</main>`;
  const allowed = mayDecide(me, data.teams);
  async function decide(name, decision) {
    try {
      await call('decide', { params: { org, name }, body: { decision } });
      setOutcome({ done: `${name}: ${decision === 'approve' ? 'approved' : 'denied'}` });
    } catch (err) {
      setOutcome({ error: err });
    }
  }
  const pending = data.approvals.filter((a) => !a.status?.phase || a.status.phase === 'Pending');
  return html`<main><h1>Agent runs of ${org}</h1>
    <h2>Approvals</h2>
    ${outcome?.done ? html`<p class="badge good">${outcome.done}</p>` : null}<${Failure} error=${outcome?.error} />
    <table><thead><tr><th>approval</th><th>run</th><th>action</th><th>requested by</th><th>phase</th><th></th></tr></thead><tbody>
      ${data.approvals.map((a) => html`<tr data-approval=${a.metadata.name}><td>${a.metadata.name}</td><td>${a.spec.dispatchRun ?? a.spec.runRef ?? ''}</td><td>${a.spec.action}</td><td>${a.spec.requestedBy ?? ''}</td>
        <td><${Badge} value=${a.status?.phase ?? 'Pending'} /></td>
        <td>${allowed && pending.includes(a) ? html`<button onClick=${() => decide(a.metadata.name, 'approve')}>Approve</button> <button onClick=${() => decide(a.metadata.name, 'deny')}>Deny</button>` : null}</td></tr>`)}
    </tbody></table>
    <h2>Runs</h2>
    <table><thead><tr><th>run</th><th>stack</th><th>phase</th><th>steps</th><th>created</th></tr></thead><tbody>
      ${data.runs.map((r) => html`<tr><td>${r.metadata.name}</td><td>${r.spec.stack ?? r.spec.stackRef ?? ''}</td><td><${Badge} value=${r.status?.phase} /></td><td>${JSON.stringify(r.status?.steps ?? {})}</td><td>${when(r.metadata.creationTimestamp)}</td></tr>`)}
    </tbody></table></main>`;
}
