// schema/ owns document validation against schemas/<Kind>.json (ajv, compiled once per kind).
// It must not resolve references across documents (the loader does) or do any I/O but reading schemas/.
export * from './validator.ts';
export { precompileSchemas } from './precompiled.ts';
export { fieldName } from './field-name.ts';
