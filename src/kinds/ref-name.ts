/** A reference field is a name, or an object naming it (`{name, namespace?, kind?, key?}`); undefined when empty. */
export function refName(value: unknown): string | undefined {
  if (typeof value === 'string' && value) return value;
  if (value && typeof value === 'object' && typeof (value as { name?: unknown }).name === 'string') {
    return (value as { name: string }).name || undefined;
  }
  return undefined;
}
