import { LineCounter, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Node } from 'yaml';
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

/** One YAML document as plain data, with the position of every node path an error may name. */
export interface ParsedDoc {
  index: number;
  value: unknown;
  /** JSON pointer -> where the field is written (its key for map entries, its item for sequences). */
  positions: Map<string, PackedPos>;
  /** Memo slots filled by later passes; the parse cache keeps them for unchanged blobs. */
  memo: Record<string, unknown>;
}

/** A parsed file: its documents and its syntax errors (without the path: one blob may live at two paths). */
export interface ParsedFile {
  docs: ParsedDoc[];
  errors: Omit<ErrorDetail, 'path'>[];
}

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Parses every document of a file; empty documents are skipped, documents with syntax errors dropped. */
export function parseYamlFile(text: string): ParsedFile {
  const lc = new LineCounter();
  const out: ParsedFile = { docs: [], errors: [] };
  const docs = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  // A stream that is not a list of documents (e.g. a stray `...`) comes back as an empty-ish stream.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const at = lc.linePos(e.pos[0]);
        out.errors.push({ code: 'YAML_SYNTAX', message: firstLine(e.message), line: at.line, column: at.col });
      }
      return;
    }
    // An empty document (`---` with nothing, or only comments) is skipped, not an error.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return;
    const positions = new Map<string, PackedPos>();
    const start = lc.linePos(doc.contents.range?.[0] ?? 0);
    positions.set('', packPos(start.line, start.col));
    collectPositions(doc.contents as Node, '', positions, lc);
    out.docs.push({ index, value: doc.toJS({ maxAliasCount: 100 }), positions, memo: {} });
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
