import { BadRequestError } from '../errors/index.ts';

export type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

const NAME = '[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?';
const KEY = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?${NAME}$`);
const VALUE = new RegExp(`^(${NAME})?$`);

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key) || (key.includes('/') && key.indexOf('/') > 253)) {
    throw new BadRequestError(`invalid label selector ${JSON.stringify(selector)}: bad key ${JSON.stringify(key)}`);
  }
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) {
    throw new BadRequestError(`invalid label selector ${JSON.stringify(selector)}: bad value ${JSON.stringify(value)}`);
  }
  return value;
}

/** Splits on commas outside parentheses: `a in (x,y),b` is two requirements. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

function parseOne(part: string, selector: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(part);
  if (m) return { op: 'notexists', key: checkKey(m[1]!, selector) };
  m = /^(\S+?)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
  if (m) {
    const values = m[3]!.split(',').map((v) => checkValue(v.trim(), selector));
    return { op: m[2] as 'in' | 'notin', key: checkKey(m[1]!, selector), values };
  }
  m = /^([^=!\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(part);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: checkKey(m[1]!, selector), value: checkValue(m[3]!, selector) };
  if (/^\S+$/.test(part)) return { op: 'exists', key: checkKey(part, selector) };
  throw new BadRequestError(`invalid label selector ${JSON.stringify(selector)}: cannot parse ${JSON.stringify(part)}`);
}

/** Parses the Kubernetes label selector syntax (equality- and set-based); BadRequestError when malformed. */
export function parseLabelSelector(selector: string | undefined): Requirement[] {
  if (!selector || !selector.trim()) return [];
  return splitTopLevel(selector).map((part) => {
    if (!part) throw new BadRequestError(`invalid label selector ${JSON.stringify(selector)}: empty requirement`);
    return parseOne(part, selector);
  });
}

/** SQL conditions over a jsonb `labels` column; values go to `params` (placeholders continue from its length). */
export function labelSelectorSql(reqs: Requirement[], params: unknown[], column = 'labels'): string[] {
  const p = (v: unknown) => `$${params.push(v)}`;
  return reqs.map((r) => {
    const val = () => `(${column} ->> ${p(r.key)}::text)`;
    switch (r.op) {
      case 'eq':
        return `${column} @> ${p(JSON.stringify({ [r.key]: r.value }))}::jsonb`;
      case 'neq':
        return `${val()} IS DISTINCT FROM ${p(r.value)}::text`;
      case 'in':
        return `${val()} IN (SELECT jsonb_array_elements_text(${p(JSON.stringify(r.values))}::jsonb))`;
      case 'notin': {
        const v = val();
        return `(${v} IS NULL OR ${v} NOT IN (SELECT jsonb_array_elements_text(${p(JSON.stringify(r.values))}::jsonb)))`;
      }
      case 'exists':
        return `(${column} -> ${p(r.key)}::text) IS NOT NULL`;
      case 'notexists':
        return `(${column} -> ${p(r.key)}::text) IS NULL`;
    }
  });
}

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
 * A label selector as a predicate over an in-memory labels map (config kinds, the plan-only cluster): the same
 * parser as the SQL filter, so every list accepts (and refuses with 400) exactly the same selectors.
 */
export function labelMatcher(selector: string | undefined): (labels: Record<string, string>) => boolean {
  const reqs = parseLabelSelector(selector);
  return (labels) => reqs.every((r) => holds(r, labels));
}
