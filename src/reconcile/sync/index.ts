// sync/ owns the continuous sync loop: fetch, atomic load, plan against the inventory, apply, prune, self-heal.
// It must not parse YAML, build Kubernetes objects or speak SQL itself: loader/, cluster/ and store/ do.
export * from './controller.ts';
export * from './sync-pass.ts';
export * from './apply-objects.ts';
export * from './drift-watcher.ts';
