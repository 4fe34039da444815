// status/ owns the /status of every Kradle custom resource: composing it after each pass and writing it when it changed.
// It must not apply or delete objects or read config: the sync pass and other domains feed it; the store keeps it.
export * from './compose.ts';
export * from './status-writer.ts';
export { selfOf, resourceKeyOf } from './records.ts';
export { objectHealth, type HealthOf } from './object-health.ts';
