// kinds/ owns the registry of every kind of the spec and the naming rules shared by all modules.
// It must not do I/O or import any other Kradle module.
export * from './registry.ts';
export * from './types.ts';
export * from './org.ts';
