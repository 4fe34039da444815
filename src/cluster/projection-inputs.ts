import type { DesiredResource, DesiredState } from '../loader/types.ts';
import { exceptionExpiry, isApproved } from './projections/index.ts';

/**
 * Which other documents each native projection reads (projections/): a change to one of them must re-render
 * the resources that read it, or an incremental render would keep a stale projection. Kept coarse (by kind and
 * org, not by name) so that it errs on re-rendering a few more, never fewer:
 * - Organization reads the OrgNamespaceBindings (is its binding declared?);
 * - AgentRoleBinding, AgentSecretGrant, AgentConfigGrant and RunnerPool read the AgentServiceAccount they name,
 *   in their org;
 * - PolicyBinding reads its PolicyTemplate (its org's, else a platform one);
 * - PolicyExceptionRequest reads its PolicyBinding and that binding's template, and the clock (its expiry).
 */
const READERS: Readonly<Record<string, readonly string[]>> = {
  OrgNamespaceBinding: ['Organization'],
  AgentServiceAccount: ['AgentRoleBinding', 'AgentSecretGrant', 'AgentConfigGrant', 'RunnerPool'],
  PolicyTemplate: ['PolicyBinding', 'PolicyExceptionRequest'],
  PolicyBinding: ['PolicyExceptionRequest'],
};

/** Whether `reader` may look `read` up: Organizations read every binding; the rest read their own org's (a platform template: every org's). */
function mayRead(reader: DesiredResource, read: DesiredResource): boolean {
  if (reader.id.kind === 'Organization') return true;
  if (read.id.kind === 'PolicyTemplate' && read.org === null) return true;
  return reader.org === read.org;
}

/**
 * The keys of `state`'s resources whose projection may read a resource whose key is in `changed` (its version
 * in `before` or in `state`), or whose projection depends on the clock and may differ between `then` and `now`.
 */
export function dependentsOf(before: DesiredState, state: DesiredState, changed: Iterable<string>, then: Date, now: Date): Set<string> {
  const out = new Set<string>();
  for (const key of changed) {
    for (const read of [before.resources.get(key), state.resources.get(key)]) {
      if (!read) continue;
      for (const kind of READERS[read.id.kind] ?? []) {
        for (const reader of state.byKind(kind)) if (mayRead(reader, read)) out.add(reader.key);
      }
    }
  }
  // An approved exception is projected until its expiry: the projection changes when the clock crosses it.
  const [from, to] = then <= now ? [then.getTime(), now.getTime()] : [now.getTime(), then.getTime()];
  if (from !== to) {
    for (const r of state.byKind('PolicyExceptionRequest')) {
      const at = exceptionExpiry(r).getTime();
      if (isApproved(r) && at > from && at <= to) out.add(r.key);
    }
  }
  return out;
}
