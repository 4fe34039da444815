// One EventSource for the whole console. Events come unnamed (?named=false) so onmessage sees them all; the
// browser resumes with Last-Event-ID on its own, and when it gives up (a 5xx, a restart) we reopen with the
// last id we saw, so a page never misses an event between two connections.
import { pathOf } from './api.js';

const listeners = new Set();
const resetListeners = new Set();
const stateListeners = new Set();
let source;
let lastId;
let retry;
export let connected = false;

function setConnected(v) {
  connected = v;
  for (const l of stateListeners) l(v);
}

let onClosed = () => true;

/** `closed()` is asked when the browser gives up; it answers whether to reopen (false once signed out). */
export function startLive(closed = onClosed) {
  onClosed = closed;
  stopLive();
  const url = pathOf('events', {}, { named: 'false', lastEventId: lastId });
  source = new EventSource(url);
  source.onopen = () => setConnected(true);
  source.onmessage = (m) => {
    if (m.lastEventId) lastId = m.lastEventId;
    const e = JSON.parse(m.data);
    // The server has no events up to the id we resumed from (a restored or new database): what a page shows may
    // be gone, and the events it kept follow from its first. Pages load again; the next reconnect resumes from
    // the server's newest id, not ours.
    if (e.type === 'reset') {
      lastId = String(e.latest);
      for (const l of resetListeners) l(e);
      return;
    }
    if (e.seq === undefined) return;
    for (const l of listeners) l(e);
  };
  source.onerror = () => {
    setConnected(false);
    if (source.readyState !== EventSource.CLOSED) return;
    retry = setTimeout(async () => { if (await onClosed()) startLive(); }, 2000);
  };
}

export function stopLive() {
  clearTimeout(retry);
  source?.close();
  source = undefined;
  setConnected(false);
}

export function onEvent(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** `fn` is called when the server says the stream was reset (see startLive): what was loaded may be stale. */
export function onReset(fn) {
  resetListeners.add(fn);
  return () => resetListeners.delete(fn);
}

export function onConnection(fn) {
  stateListeners.add(fn);
  return () => stateListeners.delete(fn);
}
