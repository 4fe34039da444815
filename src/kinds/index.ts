// kinds/ owns the registry of every kind of the spec, the naming rules shared by all modules and the pure helpers
// every module shares (a reference's name, canonical JSON).
// It must not do I/O or import any other Kradle module.
export * from './registry.ts';
export * from './types.ts';
export * from './org.ts';
export * from './ref-name.ts';
export * from './canonical-json.ts';
