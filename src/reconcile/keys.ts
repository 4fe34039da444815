/** The queue key of an org-scoped record: `org/name` (neither part holds a slash). */
export const orgKey = (org: string, name: string): string => `${org}/${name}`;

/** The org and name of a key made by orgKey, after an optional `prefix/` (e.g. `ws/acme/w1`). */
export function parseOrgKey(key: string): { org: string; name: string } {
  const end = key.lastIndexOf('/');
  const start = key.lastIndexOf('/', end - 1);
  return { org: key.slice(start + 1, end), name: key.slice(end + 1) };
}
