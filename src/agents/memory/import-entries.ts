import YAML from 'yaml';
import { ValidationError, type ErrorDetail } from '../../errors/index.ts';
import { MEMORY_ROOT } from './ontology.ts';

/** The ontology types an import entry maps to (§8.2 "entities, relationships, decisions, runbooks"). */
export const ENTRY_TYPES = ['entity', 'relationship', 'decision', 'runbook'] as const;
export type EntryType = (typeof ENTRY_TYPES)[number];

/**
 * One fact a run reports for the company brain. `entity`: a graph node (`kind` from the vocabulary,
 * `attributes` extra fields); `relationship`: an edge `from` -> `to` of edge kind `kind`;
 * `decision` / `runbook`: markdown with `title` and `body`. `confidence` is the agent's own, in [0, 1].
 */
export interface MemoryEntry {
  type: EntryType;
  id: string;
  kind?: string;
  from?: string;
  to?: string;
  title?: string;
  body?: string;
  attributes?: Record<string, unknown>;
  confidence?: number;
}

/** An entry as a file of the memory layout, with the dedupe outcome against the repository head. */
export interface NormalizedEntry {
  index: number;
  type: EntryType;
  id: string;
  path: string;
  content: string;
  /** new: no such file; update: the file exists with other content; duplicate: same content (dropped). */
  dedupe: 'new' | 'update' | 'duplicate';
}

export const MAX_ENTRIES = 200;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function checkEntry(e: unknown, i: number, include: readonly string[]): ErrorDetail[] {
  const at = (f: string) => `/entries/${i}${f}`;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return [{ code: 'BAD_ENTRY', message: 'an entry is an object', field: at('') }];
  const x = e as Record<string, unknown>;
  const errs: ErrorDetail[] = [];
  if (!(ENTRY_TYPES as readonly unknown[]).includes(x.type)) errs.push({ code: 'BAD_ENTRY', message: `type must be one of ${ENTRY_TYPES.join(', ')}`, field: at('/type') });
  else if (!include.includes(String(x.type))) errs.push({ code: 'NOT_INCLUDED', message: `type ${String(x.type)} is not in include (${include.join(', ')})`, field: at('/type') });
  if (typeof x.id !== 'string' || !ID.test(x.id)) errs.push({ code: 'BAD_ENTRY', message: 'id must be a short identifier ([A-Za-z0-9._-])', field: at('/id') });
  if (x.type === 'relationship' && (typeof x.from !== 'string' || typeof x.to !== 'string')) errs.push({ code: 'BAD_ENTRY', message: 'a relationship needs from and to', field: at('') });
  if ((x.type === 'decision' || x.type === 'runbook') && typeof x.body !== 'string') errs.push({ code: 'BAD_ENTRY', message: `a ${String(x.type)} needs a body`, field: at('/body') });
  if (x.confidence !== undefined && (typeof x.confidence !== 'number' || x.confidence < 0 || x.confidence > 1)) errs.push({ code: 'BAD_ENTRY', message: 'confidence is a number in [0, 1]', field: at('/confidence') });
  if (x.attributes !== undefined && (typeof x.attributes !== 'object' || x.attributes === null || Array.isArray(x.attributes))) errs.push({ code: 'BAD_ENTRY', message: 'attributes is an object', field: at('/attributes') });
  return errs;
}

/** The entries of an import request, checked; ValidationError naming each bad field. */
export function checkEntries(entries: unknown, include: readonly string[]): MemoryEntry[] {
  if (!Array.isArray(entries) || !entries.length) throw new ValidationError('an import needs at least one entry', { details: [{ code: 'NO_ENTRIES', message: 'entries must be a non-empty list', field: '/entries' }] });
  if (entries.length > MAX_ENTRIES) throw new ValidationError(`an import holds at most ${MAX_ENTRIES} entries`, { details: [{ code: 'TOO_MANY_ENTRIES', message: `${entries.length} entries`, field: '/entries' }] });
  const errs = entries.flatMap((e, i) => checkEntry(e, i, include));
  if (errs.length) throw new ValidationError('invalid memory import entries', { details: errs });
  return entries as MemoryEntry[];
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-');

/** Where an entry lives in the memory layout and what the file says. Pure. */
export function entryFile(e: MemoryEntry): { path: string; content: string } {
  switch (e.type) {
    case 'entity':
      return { path: `${MEMORY_ROOT}/graph/${slug(e.id)}.yaml`, content: YAML.stringify({ nodes: [{ ...(e.attributes ?? {}), id: e.id, kind: e.kind }], edges: [] }) };
    case 'relationship':
      return { path: `${MEMORY_ROOT}/graph/edges/${slug(e.id)}.yaml`, content: YAML.stringify({ nodes: [], edges: [{ from: e.from, to: e.to, kind: e.kind }] }) };
    case 'decision':
    case 'runbook': {
      const area = e.type === 'decision' ? 'decisions' : 'runbooks';
      const body = (e.body ?? '').endsWith('\n') ? e.body! : `${e.body ?? ''}\n`;
      return { path: `${MEMORY_ROOT}/${area}/${slug(e.id)}.md`, content: `# ${e.title ?? e.id}\n\n${body}` };
    }
  }
}

/** Maps entries into files and dedupes them against the files the repository holds at its head. */
export function normalizeEntries(entries: readonly MemoryEntry[], existing: ReadonlyMap<string, string>): NormalizedEntry[] {
  const seen = new Map<string, string>();
  return entries.map((e, index) => {
    const f = entryFile(e);
    const before = seen.get(f.path) ?? existing.get(f.path);
    seen.set(f.path, f.content);
    const dedupe = before === undefined ? 'new' : before === f.content ? 'duplicate' : 'update';
    return { index, type: e.type, id: e.id, ...f, dedupe };
  });
}

/** The terms an import uses: node kinds and edge kinds, each once. */
export function termsOf(entries: readonly MemoryEntry[]): { nodeKinds: string[]; edgeKinds: string[] } {
  const pick = (t: EntryType) => [...new Set(entries.filter((e) => e.type === t && e.kind).map((e) => e.kind!))].sort();
  return { nodeKinds: pick('entity'), edgeKinds: pick('relationship') };
}
