// agents/memory owns agent memory: updates as commits (after redaction and ontology checks), pinned queries, run imports.
// It must not write Git itself (writeback/memory does) nor accept memory content for queries from a request body.
export { createMemoryService, type MemoryService } from './service.ts';
export type { MemoryDeps, MemoryRepoRef } from './context.ts';
export { diffDigest, refuseSecrets, MEMORY_BRANCH_PREFIX, type MemoryChange, type ProposeUpdateInput } from './update.ts';
export type { MemoryQueryInput, MemoryQueryResult, MemoryHit } from './query.ts';
export { checkMemoryFile, ontologyFrom, graphOf, MEMORY_AREAS, MEMORY_ROOT, type Ontology } from './ontology.ts';
export { createMemoryImportService, type MemoryImportService, type CollectInput } from './import-service.ts';
export { IMPORT_KIND, IMPORT_PHASES, RESTING_PHASES, type ImportPhase } from './import-steps.ts';
export { ENTRY_TYPES, checkEntries, type MemoryEntry, type EntryType } from './import-entries.ts';
export { DEFAULT_CONFIDENCE_THRESHOLD } from './import-validate.ts';
export { createImportReconciler, type ImportReconciler } from './import-reconciler.ts';
export { createMemoryRepoLocator, type MemoryRepoLocatorOptions, type SecretReader } from './remote.ts';
