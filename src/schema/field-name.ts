/**
 * A JSON pointer into `value` as kubectl writes a field: `/spec/members/0/nmae` is `spec.members[0].nmae` (the
 * value tells a list index from a key). What a person or a model reads; the pointer stays for positions.
 */
export function fieldName(value: unknown, pointer: string): string {
  let at = value;
  let out = '';
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += Array.isArray(at) ? `[${key}]` : out ? `.${key}` : key;
    at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  }
  return out;
}
