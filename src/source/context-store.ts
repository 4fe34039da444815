import { createObjectStore, type ObjectStore } from './object-store.ts';
import type { GitContext } from './objects.ts';

const stores = new WeakMap<GitContext, ObjectStore>();

/** The fast object reader of a git directory, one per context: resolving a revision and its snapshot share its packs. */
export function objectStoreOf(ctx: GitContext): ObjectStore {
  let store = stores.get(ctx);
  if (!store) stores.set(ctx, (store = createObjectStore(ctx.gitdir)));
  return store;
}
