// Injectable faults: fail the next N requests (optionally only those matching a method/path), add
// latency to every request, hold requests until released, fail watches with 410 Gone, and drop open
// watch connections.
import type { ServerResponse } from 'node:http';
import type { StatusCause } from './status.ts';

export interface FailOptions {
  status?: number;
  method?: string;
  path?: string | RegExp;
  /** Text put in the error body, e.g. to check that clients keep bodies out of their errors. */
  message?: string;
  /** The Status reason (default: the one of the HTTP code), e.g. `NamespaceTerminating` causes under 403. */
  reason?: string;
  /** Status details causes, as a real server sends them with 422 Invalid (field, reason, message). */
  causes?: StatusCause[];
  /** Sent as a Retry-After header (seconds), as with 429 Too Many Requests from API priority and fairness. */
  retryAfterSeconds?: number;
}

interface Rule extends FailOptions {
  remaining: number;
}

export interface Fault {
  status: number;
  message: string;
  reason?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface HoldOptions {
  method?: string;
  path?: string | RegExp;
}

export interface Faults {
  failNext(count: number, opts?: FailOptions): void;
  setLatency(ms: number): void;
  /**
   * Holds every matching request (as a stalled connection or an overloaded etcd would) until `release()`;
   * `held()` counts the requests waiting.
   */
  hold(opts: HoldOptions): { release(): void; held(): number };
  /**
   * The next N matching watches answer an ERROR event with a 410 Gone Status and close, as a real server
   * does when the requested resourceVersion is older than its watch cache holds.
   */
  expireNextWatches(count: number, opts?: { path?: string | RegExp }): void;
  /**
   * The next N matching watches answer their headers and then nothing, ever, ignoring timeoutSeconds: a
   * connection that died silently (a proxy or NAT dropping it) looks like this to the client.
   */
  silenceNextWatches(count: number, opts?: { path?: string | RegExp }): void;
  /** Closes every open watch connection; returns how many were closed. */
  dropWatches(): number;
  clear(): void;
}

export interface FaultState extends Faults {
  latencyMs(): number;
  /** The failure to answer this request with, if a rule matches (consuming one use of it). */
  take(method: string, path: string): Fault | undefined;
  /** Resolves when no hold matches the request (at once when none does). */
  gate(method: string, path: string): Promise<void>;
  /** Whether this watch is to be answered with 410 Gone (consuming one use). */
  expireWatch(path: string): boolean;
  /** Whether this watch is to go silent after its headers (consuming one use). */
  silenceWatch(path: string): boolean;
}

const pathMatches = (p: string | RegExp | undefined, path: string) => !p || (typeof p === 'string' ? path.startsWith(p) : p.test(path));

export function createFaults(open: Set<ServerResponse>): FaultState {
  let rules: Rule[] = [];
  let latency = 0;
  let holds: { opts: HoldOptions; waiting: (() => void)[] }[] = [];
  let expiring: { path?: string | RegExp; remaining: number }[] = [];
  let silencing: { path?: string | RegExp; remaining: number }[] = [];
  /** Consumes one use of the first rule matching the path. */
  const consume = (list: { path?: string | RegExp; remaining: number }[], path: string): boolean => {
    const e = list.find((x) => x.remaining > 0 && pathMatches(x.path, path));
    if (!e) return false;
    e.remaining--;
    return true;
  };
  const matches = (r: { method?: string; path?: string | RegExp }, method: string, path: string) =>
    (!r.method || r.method.toUpperCase() === method) && pathMatches(r.path, path);
  const releaseAll = () => {
    for (const h of holds) h.waiting.splice(0).forEach((go) => go());
    holds = [];
  };
  return {
    failNext(count, opts = {}) {
      rules.push({ ...opts, remaining: count });
    },
    setLatency(ms) {
      latency = ms;
    },
    hold(opts) {
      const h = { opts, waiting: [] as (() => void)[] };
      holds.push(h);
      return {
        release() {
          holds = holds.filter((x) => x !== h);
          h.waiting.splice(0).forEach((go) => go());
        },
        held: () => h.waiting.length,
      };
    },
    expireNextWatches(count, opts = {}) {
      expiring.push({ ...opts, remaining: count });
    },
    silenceNextWatches(count, opts = {}) {
      silencing.push({ ...opts, remaining: count });
    },
    dropWatches() {
      const n = open.size;
      for (const res of [...open]) res.socket?.destroy();
      open.clear();
      return n;
    },
    clear() {
      rules = [];
      latency = 0;
      expiring = [];
      silencing = [];
      releaseAll();
    },
    latencyMs: () => latency,
    take(method, path) {
      const rule = rules.find((r) => r.remaining > 0 && matches(r, method, path));
      if (!rule) return undefined;
      rule.remaining--;
      rules = rules.filter((r) => r.remaining > 0);
      const { status = 500, message = 'injected fault', reason, causes, retryAfterSeconds } = rule;
      return { status, message, reason, causes, retryAfterSeconds };
    },
    gate(method, path) {
      const h = holds.find((x) => matches(x.opts, method, path));
      return h ? new Promise<void>((resolve) => h.waiting.push(resolve)) : Promise.resolve();
    },
    expireWatch: (path) => consume(expiring, path),
    silenceWatch: (path) => consume(silencing, path),
  };
}
