// Watch: a chunked stream of JSON lines {type, object}. Starts from a resourceVersion (replaying the
// retained history), or with synthetic ADDED events for the current list; BOOKMARK events on request;
// an ERROR event with a 410 Status when the requested resourceVersion has left the history window.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonObject } from './fields.ts';
import { parseSelector } from './labels.ts';
import { groupVersion, type ResourceDef } from './resources.ts';
import { failure } from './status.ts';
import type { ObjectStore, StoredEvent } from './store.ts';

export interface WatchRequest {
  def: ResourceDef;
  namespace?: string;
  query: URLSearchParams;
  /** Answer 410 Gone whatever the resourceVersion (an injected fault). */
  expired?: boolean;
  /** Answer the headers, then nothing, never ending (an injected fault: a silently dead connection). */
  silent?: boolean;
}

export interface WatchOptions {
  bookmarkIntervalMs: number;
  open: Set<ServerResponse>;
}

type Matcher = (o: JsonObject | undefined) => boolean;

function matcher(w: WatchRequest): Matcher {
  const labels = parseSelector(w.query.get('labelSelector'));
  return (o) => {
    if (!o) return false;
    const m = o.metadata as JsonObject;
    if (w.def.namespaced && w.namespace && m.namespace !== w.namespace) return false;
    return labels((m.labels ?? {}) as Record<string, string>);
  };
}

/** The event a watcher sees: a label change moving an object in or out of the selection is ADDED/DELETED. */
function translate(e: StoredEvent, resource: string, matches: Matcher): { type: string; object: JsonObject } | undefined {
  if (e.resource !== resource) return undefined;
  const now = matches(e.object);
  if (e.type !== 'MODIFIED') return now ? { type: e.type, object: e.object } : undefined;
  const before = matches(e.previous);
  if (now) return { type: before ? 'MODIFIED' : 'ADDED', object: e.object };
  return before ? { type: 'DELETED', object: e.object } : undefined;
}

export function serveWatch(store: ObjectStore, w: WatchRequest, req: IncomingMessage, res: ServerResponse, opts: WatchOptions): void {
  const resource = `${w.def.group}/${w.def.plural}`;
  const matches = matcher(w);
  const send = (type: string, object: unknown) => res.write(JSON.stringify({ type, object }) + '\n');
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  if (w.silent) {
    res.flushHeaders();
    // Tracked only so that stopping the server closes it.
    opts.open.add(res);
    res.on('close', () => opts.open.delete(res));
    return;
  }
  const from = w.query.get('resourceVersion');
  if (w.expired || (from && from !== '0' && Number(from) < store.compactedRv)) {
    send('ERROR', failure(410, `too old resource version: ${from} (${store.rv})`, undefined, 'Expired'));
    res.end();
    return;
  }
  opts.open.add(res);
  if (!from || from === '0') {
    for (const o of store.list(w.def, w.namespace, w.query.get('labelSelector'))) {
      send('ADDED', { apiVersion: groupVersion(w.def), kind: w.def.kind, ...o });
    }
  } else {
    for (const e of store.history) {
      if (e.rv <= Number(from)) continue;
      const out = translate(e, resource, matches);
      if (out) send(out.type, out.object);
    }
  }
  const unsubscribe = store.subscribe((e) => {
    const out = translate(e, resource, matches);
    if (out) send(out.type, out.object);
  });
  const timers: NodeJS.Timeout[] = [];
  if (w.query.get('allowWatchBookmarks') === 'true') {
    timers.push(setInterval(() => send('BOOKMARK', { kind: w.def.kind, apiVersion: groupVersion(w.def), metadata: { resourceVersion: String(store.rv) } }), opts.bookmarkIntervalMs));
  }
  const timeout = Number(w.query.get('timeoutSeconds') ?? 0);
  if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000));
  const cleanup = () => {
    unsubscribe();
    timers.forEach((t) => clearTimeout(t));
    opts.open.delete(res);
  };
  res.on('close', cleanup);
  req.on('close', cleanup);
}
