import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { ErrorDetail } from '../errors/index.ts';

/** A line and column packed in one number (line * 2^16 + column): a map of them stays small. */
export type PackedPos = number;
const COL = 65536;

export function packPos(line: number, column: number): PackedPos {
  return line * COL + Math.min(column, COL - 1);
}

export function unpackPos(p: PackedPos): { line: number; column: number } {
  return { line: Math.floor(p / COL), column: p % COL };
}

/** One YAML document as plain data; the positions of its nodes are computed when an error needs them. */
export interface ParsedDoc {
  index: number;
  value: unknown;
  /** Where the document's content starts. */
  start: PackedPos;
  /** JSON pointer -> where the field is written (its key for map entries, its item for sequences). */
  readonly positions: Map<string, PackedPos>;
  /** Memo slots filled by later passes; the parse cache keeps them for unchanged blobs. */
  memo: Record<string, unknown>;
}

/** A parsed file: its documents and its syntax errors (without the path: one blob may live at two paths). */
export interface ParsedFile {
  docs: ParsedDoc[];
  errors: Omit<ErrorDetail, 'path'>[];
}

/** What a parse produces before positions: plain data, cheap to send from a worker thread. */
export interface RawParsedFile {
  docs: { index: number; value: unknown; start: PackedPos }[];
  errors: Omit<ErrorDetail, 'path'>[];
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const OPTIONS = { uniqueKeys: true, prettyErrors: false } as const;

/** Parses every document of a file; empty documents are skipped, documents with syntax errors dropped. */
export function parseRaw(text: string): RawParsedFile {
  const lc = new LineCounter();
  const out: RawParsedFile = { docs: [], errors: [] };
  eachDocument(text, lc, (doc, index) => {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const at = lc.linePos(e.pos[0]);
        out.errors.push({ code: 'YAML_SYNTAX', message: firstLine(e.message), line: at.line, column: at.col });
      }
      return;
    }
    const start = lc.linePos(doc.contents!.range?.[0] ?? 0);
    try {
      out.docs.push({ index, value: doc.toJS({ maxAliasCount: 100 }), start: packPos(start.line, start.col) });
    } catch (err) {
      // yaml throws (rather than reporting) when aliases expand past maxAliasCount: a "billion laughs" file
      // is that file's error, never the whole revision's crash.
      out.errors.push({ code: 'YAML_SYNTAX', message: firstLine((err as Error).message), line: start.line, column: start.col });
    }
  });
  return out;
}

/** Documents with errors, and the non-empty ones: `---` with nothing, or only comments, is skipped. */
function eachDocument(text: string, lc: LineCounter, fn: (doc: Document.Parsed, index: number) => void): void {
  const docs = parseAllDocuments(text, { lineCounter: lc, ...OPTIONS });
  // A stream that is not a list of documents (e.g. a stray `...`) comes back as an empty-ish stream.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    if (!doc.errors.length && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))) return;
    fn(doc, index);
  });
}

/**
 * Gives a raw parse its positions, computed on first use by parsing `source()` again: only files
 * with errors need them, and not keeping a map per document saves memory and a cold load's time.
 */
export function withPositions(raw: RawParsedFile, source: () => string): ParsedFile {
  let all: Map<number, Map<string, PackedPos>> | undefined;
  const positionsOf = (index: number) => (all ??= collectAll(source())).get(index) ?? new Map<string, PackedPos>();
  const docs = raw.docs.map((d): ParsedDoc => ({
    ...d,
    memo: {},
    get positions() {
      return positionsOf(d.index);
    },
  }));
  return { docs, errors: raw.errors };
}

function collectAll(text: string): Map<number, Map<string, PackedPos>> {
  const lc = new LineCounter();
  const out = new Map<number, Map<string, PackedPos>>();
  eachDocument(text, lc, (doc, index) => {
    if (doc.errors.length) return;
    const positions = new Map<string, PackedPos>();
    const start = lc.linePos(doc.contents!.range?.[0] ?? 0);
    positions.set('', packPos(start.line, start.col));
    collectPositions(doc.contents as Node, '', positions, lc);
    out.set(index, positions);
  });
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function collectPositions(node: Node, pointer: string, out: Map<string, PackedPos>, lc: LineCounter): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const child = `${pointer}/${escapePointer(key)}`;
      const at = lc.linePos((pair.key as Node | null)?.range?.[0] ?? 0);
      out.set(child, packPos(at.line, at.col));
      if (pair.value && (isMap(pair.value) || isSeq(pair.value))) collectPositions(pair.value as Node, child, out, lc);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const child = `${pointer}/${i}`;
      const at = lc.linePos((item as Node | null)?.range?.[0] ?? 0);
      out.set(child, packPos(at.line, at.col));
      if (item && (isMap(item) || isSeq(item))) collectPositions(item as Node, child, out, lc);
    });
  }
}

/** The position of a pointer, or of its nearest recorded ancestor (a missing field points at its parent). */
export function positionOf(doc: ParsedDoc, pointer: string): { line: number; column: number } {
  let p = pointer;
  for (;;) {
    const hit = doc.positions.get(p);
    if (hit !== undefined) return unpackPos(hit);
    if (p === '') return { line: 1, column: 1 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
