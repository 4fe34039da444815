// reconcile/ owns the engine every reconciler runs on: work queue, back-off, periodic resync, the one
// reconciler shape and the conditions/status helpers. It must not read config, talk to Kubernetes or SQL itself.
export * from './backoff.ts';
export * from './conditions.ts';
export * from './queue.ts';
export * from './reconciler.ts';
export * from './resync.ts';
export * from './scheduler.ts';
