import { identityKey, type ResourceIdentity } from './identity.ts';
import type { LocateHint } from './locator.ts';
import type { LocateFn } from './types.ts';

const MAX_REMEMBERED = 1000;

/**
 * Turns the desired state's answer (`locate`) into a hint the locator can trust at the current tip.
 * A path is always worth trying first (the locator checks the file really holds the resource). "Absent"
 * is only trusted when the tip is the loaded revision, or is reached from it through commits this writer
 * made that did not touch the resource: a sync that lags behind our own writes still saves the scan.
 */
export function createHints(locate: LocateFn | undefined, dir: string) {
  const own = new Map<string, { parent: string | null; keys: Set<string> }>();

  function untouched(from: string, tip: string | null, key: string): boolean {
    let cur = tip;
    for (let i = 0; cur !== null && i <= MAX_REMEMBERED; i++) {
      if (cur === from) return true;
      const c = own.get(cur);
      if (!c || c.keys.has(key)) return false;
      cur = c.parent;
    }
    return false;
  }

  return {
    hintFor(id: ResourceIdentity, tip: string | null): LocateHint | undefined {
      const at = locate?.(id.org, id.kind, id.name);
      if (!at) return undefined;
      if (at.path) return { path: dir && !at.path.startsWith(`${dir}/`) ? `${dir}/${at.path}` : at.path };
      return untouched(at.revision, tip, identityKey(id)) ? { absent: true } : undefined;
    },
    /** Records a commit this writer published on the tracked branch and the resources it touched. */
    remember(commit: string, parent: string | null, ids: readonly ResourceIdentity[]): void {
      if (own.size >= MAX_REMEMBERED) own.delete(own.keys().next().value!);
      own.set(commit, { parent, keys: new Set(ids.map(identityKey)) });
    },
  };
}
