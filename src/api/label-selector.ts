import { BadRequestError } from '../errors/index.ts';

type Requirement = (labels: Record<string, string>) => boolean;

/**
 * Kubernetes label selector over an in-memory labels map (config kinds; the store filters runtime
 * kinds itself): `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-separated.
 */
export function parseLabelSelector(selector: string | undefined): Requirement {
  if (!selector || !selector.trim()) return () => true;
  const reqs = splitTerms(selector).map(parseTerm);
  return (labels) => reqs.every((r) => r(labels));
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  terms.push(cur.trim());
  return terms.filter(Boolean);
}

function parseTerm(term: string): Requirement {
  let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m as unknown as [string, string, string, string];
    const values = new Set(list.split(',').map((v) => v.trim()).filter(Boolean));
    return op === 'in' ? (l) => key in l && values.has(l[key]!) : (l) => !(key in l) || !values.has(l[key]!);
  }
  m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m as unknown as [string, string, string, string];
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  m = /^(!?)([\w./-]+)$/.exec(term);
  if (m) {
    const [, not, key] = m as unknown as [string, string, string];
    return not ? (l) => !(key in l) : (l) => key in l;
  }
  throw new BadRequestError(`invalid label selector term ${JSON.stringify(term)}`);
}
