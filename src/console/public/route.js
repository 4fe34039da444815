import { useEffect, useState } from '/console/vendor/hooks.mjs';

const listeners = new Set();

function read() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/**
 * Hash routes: `#/org/acme?kind=Team` -> ['org', 'acme'] and the query. No server round trip. Links and typed
 * URLs change the hash (hashchange); a page's own state in the query (setQuery) and back/forward over it
 * move through history entries (popstate), so a reload, a shared link or the back button finds the same view.
 */
export function useRoute() {
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    addEventListener('hashchange', on);
    addEventListener('popstate', on);
    listeners.add(on);
    return () => {
      removeEventListener('hashchange', on);
      removeEventListener('popstate', on);
      listeners.delete(on);
    };
  }, []);
  return route;
}

/**
 * Puts `params` in the query of the current route, leaving out empty values: a new history entry, or with
 * `replace` in place of the current one (as each keystroke of a search should). The route is read back at once,
 * so a controlled input never renders an older value than the one just typed.
 */
export function setQuery(params, { replace = false } = {}) {
  const path = location.hash.split('?')[0] || '#/';
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== '' && v !== 0).map(([k, v]) => [k, String(v)])).toString();
  const hash = query ? `${path}?${query}` : path;
  if (hash === location.hash) return;
  history[replace ? 'replaceState' : 'pushState'](history.state, '', hash);
  for (const on of listeners) on();
}
