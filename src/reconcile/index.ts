// reconcile/ owns the engine every reconciler runs on: work queue, back-off, resync, the reconciler shape, conditions.
// It must not read config or the environment, import the Kubernetes client or SQL, or hold domain rules of a kind.
export * from './backoff.ts';
export * from './conditions.ts';
export * from './event-watch.ts';
export * from './keys.ts';
export * from './loop.ts';
export * from './queue.ts';
export * from './reconciler.ts';
export * from './resync.ts';
export * from './scheduler.ts';
