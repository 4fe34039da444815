import type { SchemaValidator } from '../schema/index.ts';
import { classifyDocument, type Candidate } from './classify.ts';
import type { LoadError } from './errors.ts';
import type { ParsedFile } from './parse.ts';

/**
 * What one file at one path contributes to a revision before the cross-document checks: its syntax
 * and per-document errors, its candidates and ghosts. A pure function of (path, blob), so a loader
 * keeps units by path and blob id and a reload re-classifies only the files that changed; reused
 * candidates keep their identity, which lets the semantic pass reuse what it memoized on them.
 */
export interface FileUnit {
  errors: LoadError[];
  candidates: Candidate[];
  ghosts: Candidate[];
  documents: number;
}

export function classifyFile(path: string, pf: ParsedFile, validator: SchemaValidator): FileUnit {
  const unit: FileUnit = { errors: [], candidates: [], ghosts: [], documents: pf.docs.length };
  for (const e of pf.errors) unit.errors.push({ path, line: e.line ?? 1, column: e.column ?? 1, code: e.code, message: e.message });
  for (const doc of pf.docs) {
    const c = classifyDocument(path, doc, validator);
    if (c.ok) unit.candidates.push(c.candidate);
    else {
      unit.errors.push(...c.errors);
      if (c.ghost) unit.ghosts.push(c.ghost);
    }
  }
  return unit;
}

interface Entry {
  oid: string;
  unit: FileUnit;
}

/** Units by path and blob id, keeping those of the last two loads (a diff alternates between base and head). */
export function createUnitCache(validator: SchemaValidator) {
  let previous = new Map<string, Entry>();
  let current = new Map<string, Entry>();
  let next = new Map<string, Entry>();
  const hit = (m: Map<string, Entry>, path: string, oid: string) => {
    const e = m.get(path);
    return e !== undefined && e.oid === oid ? e : undefined;
  };
  return {
    unit(path: string, oid: string, parsed: () => ParsedFile): FileUnit {
      const e = hit(next, path, oid) ?? hit(current, path, oid) ?? hit(previous, path, oid) ?? { oid, unit: classifyFile(path, parsed(), validator) };
      next.set(path, e);
      return e.unit;
    },
    /** Drops a path's unit of this load, so the next load classifies it again. */
    forget(path: string): void {
      next.delete(path);
    },
    /** Ends a load: its units become the current ones. */
    rotate(): void {
      previous = current;
      current = next;
      next = new Map();
    },
  };
}
