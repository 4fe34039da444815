/** One field-level change between two documents, addressed by JSON pointer (RFC 6901). */
export interface FieldChange {
  pointer: string;
  op: 'add' | 'remove' | 'replace';
  from?: unknown;
  to?: unknown;
}

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Every leaf-most difference between two JSON values: objects by key (sorted), arrays by index
 * (a changed length adds or removes at the tail), anything else replaced whole.
 */
export function diffFields(from: unknown, to: unknown, pointer = '', out: FieldChange[] = []): FieldChange[] {
  if (isObject(from) && isObject(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    for (const k of keys) {
      const p = `${pointer}/${escape(k)}`;
      if (!(k in to) || to[k] === undefined) out.push({ pointer: p, op: 'remove', from: from[k] });
      else if (!(k in from) || from[k] === undefined) out.push({ pointer: p, op: 'add', to: to[k] });
      else diffFields(from[k], to[k], p, out);
    }
    return out;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const shared = Math.min(from.length, to.length);
    for (let i = 0; i < shared; i++) diffFields(from[i], to[i], `${pointer}/${i}`, out);
    for (let i = shared; i < to.length; i++) out.push({ pointer: `${pointer}/${i}`, op: 'add', to: to[i] });
    // Removed from the end backwards, so applying the changes in order keeps every index valid.
    for (let i = from.length - 1; i >= shared; i--) out.push({ pointer: `${pointer}/${i}`, op: 'remove', from: from[i] });
    return out;
  }
  if (!Object.is(from, to)) out.push({ pointer, op: 'replace', from, to });
  return out;
}
