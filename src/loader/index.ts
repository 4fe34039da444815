// loader/ owns turning the YAML files of one revision into a validated DesiredState, or every error of it.
// It must not read Git or the filesystem itself (a Snapshot gives it blobs) nor touch the store or the cluster.
export * from './types.ts';
export { createLoader, type Loader, type LoaderDeps } from './loader.ts';
export { changesOnIdleParseWorker, prestartParseWorkers } from './parse-pool.ts';
export { LOAD_ERROR_CODES, LOAD_WARNING_CODES, type LoadError, type LoadErrorCode, type LoadWarning } from './errors.ts';
export { LIMITS, valueOverLimits } from './limits.ts';
export { REFERENCES, referencesOf, type ReferenceRule } from './references.ts';
export { canonicalJson, contentHash, hashedView } from './hash.ts';
export { createDesiredState, keysThatMayDiffer, summaryOf } from './state.ts';
export { orgNamespaceName, tenantNamespaceOf } from './tenant-namespace.ts';
