// writeback/memory owns writing agent memory files as commits on a branch of a memory repository, without the git index.
// It must not decide what may be written (redaction and ontology checks are agents/ work) nor push or touch config repos.
export { commitMemoryFiles, type MemoryCommitInput, type MemoryCommitResult } from './commit-files.ts';
export { readMemoryFiles, resolveMemoryRef, type MemoryFile } from './read-files.ts';
