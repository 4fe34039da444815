// Injectable faults: fail the next N requests (optionally only those matching a method/path), add
// latency to every request, and drop open watch connections.
import type { ServerResponse } from 'node:http';

export interface FailOptions {
  status?: number;
  method?: string;
  path?: string | RegExp;
  /** Text put in the error body, e.g. to check that clients keep bodies out of their errors. */
  message?: string;
}

interface Rule extends FailOptions {
  remaining: number;
}

export interface Faults {
  failNext(count: number, opts?: FailOptions): void;
  setLatency(ms: number): void;
  /** Closes every open watch connection; returns how many were closed. */
  dropWatches(): number;
  clear(): void;
}

export interface FaultState extends Faults {
  latencyMs(): number;
  /** The failure to answer this request with, if a rule matches (consuming one use of it). */
  take(method: string, path: string): { status: number; message: string } | undefined;
}

export function createFaults(open: Set<ServerResponse>): FaultState {
  let rules: Rule[] = [];
  let latency = 0;
  const matches = (r: Rule, method: string, path: string) =>
    (!r.method || r.method.toUpperCase() === method) &&
    (!r.path || (typeof r.path === 'string' ? path.startsWith(r.path) : r.path.test(path)));
  return {
    failNext(count, opts = {}) {
      rules.push({ ...opts, remaining: count });
    },
    setLatency(ms) {
      latency = ms;
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
    },
    latencyMs: () => latency,
    take(method, path) {
      const rule = rules.find((r) => r.remaining > 0 && matches(r, method, path));
      if (!rule) return undefined;
      rule.remaining--;
      rules = rules.filter((r) => r.remaining > 0);
      return { status: rule.status ?? 500, message: rule.message ?? 'injected fault' };
    },
  };
}
