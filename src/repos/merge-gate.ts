import type { ErrorDetail } from '../errors/index.ts';
import type { DesiredResource } from '../loader/types.ts';
import type { StoredResource } from '../store/types.ts';

function refName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string') return (v as { name: string }).name;
  return undefined;
}

/** `main`, `refs/heads/main` and globs ending in `*` all name the same branch space. */
function refMatches(pattern: string, ref: string): boolean {
  const strip = (s: string) => s.replace(/^refs\/heads\//, '');
  const p = strip(pattern);
  const r = strip(ref);
  return p.endsWith('*') ? r.startsWith(p.slice(0, -1)) : p === r;
}

/**
 * What a pull request still lacks under the org's BranchProtection rules for its repository and
 * target branch: approvals (latest review per reviewer counts) and named required checks that
 * have not concluded `success`. Empty when it may merge.
 */
export function mergeGate(orgResources: readonly DesiredResource[], pr: StoredResource, reviews: StoredResource[]): ErrorDetail[] {
  const repo = refName(pr.spec.repository);
  const target = String(pr.spec.targetRef ?? 'main');
  const rules = orgResources.filter((d) => {
    if (d.id.kind !== 'BranchProtection') return false;
    const ruleRepo = refName(d.object.spec.repository);
    const refs = (d.object.spec.refs as string[] | undefined) ?? [];
    return (!ruleRepo || ruleRepo === repo) && refs.some((p) => refMatches(p, target));
  });
  const latest = new Map<string, string>();
  for (const r of [...reviews].sort((a, b) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp))) {
    latest.set(String(r.spec.reviewer ?? r.metadata.name), String(r.spec.state));
  }
  const approvals = [...latest.values()].filter((s) => s === 'approved').length;
  const checks = (pr.status.checks ?? {}) as Record<string, { conclusion?: string }>;
  const missing: ErrorDetail[] = [];
  const needed = Math.max(0, ...rules.map((r) => Number(r.object.spec.requiredApprovals ?? 0)));
  if (approvals < needed) {
    missing.push({ code: 'APPROVALS_REQUIRED', message: `needs ${needed} approval(s), has ${approvals}`, field: 'approvals' });
  }
  const required = new Set(rules.flatMap((r) => (r.object.spec.requiredChecks as string[] | undefined) ?? []));
  for (const name of required) {
    const c = checks[name]?.conclusion;
    if (c !== 'success') missing.push({ code: 'CHECK_REQUIRED', message: `check ${name} is ${c ?? 'missing'}`, field: name });
  }
  return missing;
}
