import { h } from '/console/vendor/preact.mjs';
import { useEffect, useRef, useState } from '/console/vendor/hooks.mjs';
import htm from '/console/vendor/htm.mjs';
import { formatDetail } from './api.js';
import { onEvent, onReset } from './live.js';

export const html = htm.bind(h);

const BAD = new Set(['SyncFailed', 'Degraded', 'Missing', 'Failed', 'ValidationFailed', 'Denied', 'Rejected', 'OutOfSync']);
const GOOD = new Set(['Synced', 'Healthy', 'Succeeded', 'Approved', 'Merged', 'Idle', 'True', 'Completed']);

export function Badge({ value }) {
  const cls = BAD.has(value) ? 'bad' : GOOD.has(value) ? 'good' : 'warn';
  return html`<span class="badge ${cls}">${value ?? '—'}</span>`;
}

export function ErrorList({ errors, title = 'Errors' }) {
  if (!errors?.length) return null;
  return html`<div class="errors" role="alert"><strong>${title}</strong><ul>${errors.map((e) => html`<li>${typeof e === 'string' ? e : formatDetail(e)}</li>`)}</ul></div>`;
}

/** Warnings (an unknown spec field, ...): shown like errors, in a calmer box and not as an alert, since nothing failed. */
export function WarningList({ warnings, title = 'Warnings' }) {
  if (!warnings?.length) return null;
  return html`<div class="warnings"><strong>${title} (${warnings.length})</strong><ul>${warnings.map((w) => html`<li>${formatDetail(w)}</li>`)}</ul></div>`;
}

/** A failed call: its code and message always (most answers carry no details: a 401, 403 or 404), then each detail. */
export function Failure({ error }) {
  if (!error) return null;
  const title = `${error.code ?? 'ERROR'}: ${error.message}`;
  if (!error.details?.length) return html`<div class="errors" role="alert"><strong>${title}</strong></div>`;
  return html`<${ErrorList} title=${title} errors=${error.details} />`;
}

/**
 * Loads with `load()` and again whenever an event passes `relevant(e)`, coalescing bursts: a page follows the
 * stream within a second without refetching once per event of a 1,000-event sync.
 */
export function useLiveData(load, relevant, deps) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: true });
  const timer = useRef();
  useEffect(() => {
    let alive = true;
    const run = () => load().then((data) => alive && setState({ data, error: undefined, loading: false }), (error) => alive && setState((s) => ({ ...s, error, loading: false })));
    run();
    const later = () => {
      clearTimeout(timer.current);
      timer.current = setTimeout(run, 150);
    };
    const off = onEvent((e) => relevant(e) && later());
    const offReset = onReset(later);
    return () => { alive = false; off(); offReset(); clearTimeout(timer.current); };
  }, deps);
  return state;
}

export const short = (rev) => (rev ? String(rev).slice(0, 12) : '—');
export const when = (t) => (t ? new Date(t).toLocaleString() : '—');
