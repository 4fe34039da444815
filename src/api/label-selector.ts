import { parseLabelSelector, type Requirement } from '../store/index.ts';

function holds(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'eq': return labels[r.key] === r.value;
    case 'neq': return labels[r.key] !== r.value;
    case 'in': return has && r.values.includes(labels[r.key]!);
    case 'notin': return !has || !r.values.includes(labels[r.key]!);
    case 'exists': return has;
    case 'notexists': return !has;
  }
}

/**
 * A label selector as a predicate over an in-memory labels map, for config kinds. Parsing is the
 * store's, so config and runtime lists accept (and refuse with 400) exactly the same selectors.
 */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  const reqs = parseLabelSelector(selector);
  return (labels) => reqs.every((r) => holds(r, labels));
}
