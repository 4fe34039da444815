import { useEffect, useState } from '/console/vendor/hooks.mjs';
import { onEvent, onReset } from '../live.js';
import { html, when } from '../ui.js';

const KEEP = 200;

/** The live feed: every event the session may see, newest first, as it arrives. */
export function EventsPage() {
  const [events, setEvents] = useState([]);
  useEffect(() => onEvent((e) => setEvents((list) => [e, ...list].slice(0, KEEP))), []);
  // After a reset the server sends every event it kept again: the list starts over rather than show them twice.
  useEffect(() => onReset(() => setEvents([])), []);
  return html`<main><h1>Live events</h1><p>Events arriving while this page is open (the newest ${KEEP}).</p>
    <table><thead><tr><th>seq</th><th>type</th><th>org</th><th>object</th><th>when</th><th>payload</th></tr></thead><tbody>
    ${events.map((e) => html`<tr data-event=${e.type}><td>${e.seq}</td><td>${e.type}</td><td>${e.org ?? 'platform'}</td><td>${e.kind}/${e.name}</td><td>${when(e.createdAt)}</td><td><code>${JSON.stringify(e.payload)}</code></td></tr>`)}
  </tbody></table></main>`;
}
