// Label selector matching: equality (=, ==, !=), set (in, notin) and existence (k, !k) requirements.
type Requirement = (labels: Record<string, string>) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): Requirement {
  const set = /^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$/.exec(term);
  if (set) {
    const [, key, op, raw] = set;
    const values = new Set(raw.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (l) => key in l && values.has(l[key])
      : (l) => !(key in l) || !values.has(l[key]);
  }
  const eq = /^([^\s!=]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
  if (eq) {
    const [, key, op, value] = eq;
    return op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if (term.startsWith('!')) {
    const key = term.slice(1).trim();
    return (l) => !(key in l);
  }
  return (l) => term in l;
}

export function parseSelector(selector: string | null | undefined): Requirement {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map(parseTerm);
  return (labels) => requirements.every((r) => r(labels));
}
