// plan/ owns what changes between desired states (and later against the inventory): pure functions by resource key.
// It must not do I/O of any kind: no Git, no store, no cluster, no clock.
export { diffStates, isEmptyDiff, type ResourceChange, type StateDiff } from './diff-states.ts';
export { diffFields, type FieldChange } from './field-diff.ts';
export { diffJson } from './diff-json.ts';
