import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ErrorDetail } from '../errors/index.ts';
import { escapePointer } from './parse.ts';

/**
 * What one file and one document may hold. They keep a load's work linear and small whatever a commit
 * or an API write holds; no Kradle resource comes near them. A document's size matches the API's body
 * limit, so whatever the API takes the loader loads; the depth matches the API's too.
 */
export const LIMITS = {
  /** Bytes of one file (checked before it is decoded). */
  fileBytes: 8 * 1024 * 1024,
  /** Characters of one document of a file (checked before it is composed). */
  documentChars: 1024 * 1024,
  /** Keys of one mapping. */
  keysPerMapping: 10_000,
  /** Nesting of mappings and sequences; the document's root is level 1. */
  depth: 100,
} as const;

/** An error of a file, positioned; the message names the field (a JSON pointer) it is about. */
export type FileError = Omit<ErrorDetail, 'path' | 'field'> & { line: number; column: number };

const n = (x: number) => x.toLocaleString('en-US');

export function fileTooLarge(bytes: number): FileError {
  return {
    code: 'LIMIT_EXCEEDED', line: 1, column: 1,
    message: `the file holds ${n(bytes)} bytes, over the limit of ${n(LIMITS.fileBytes)}: split it into smaller files`,
  };
}

export function documentTooLarge(chars: number, line: number, column: number): FileError {
  return {
    code: 'LIMIT_EXCEEDED', line, column,
    message: `the document holds ${n(chars)} characters, over the limit of ${n(LIMITS.documentChars)} per document`,
  };
}

/**
 * Checks a composed document in one pass over its nodes: keys per mapping, depth, and duplicate keys
 * (yaml's own `uniqueKeys` compares each key with every earlier one, quadratic in a mapping's size, so
 * the parse turns it off and this pass keeps its rule: equal scalar values are duplicates, as with `===`).
 * Aliases are not followed: yaml's alias count bounds what they expand to.
 */
export function treeErrors(doc: Document.Parsed, lc: LineCounter): FileError[] {
  const errors: FileError[] = [];
  const path: string[] = [];
  const at = (node: Node | null | undefined, fallback: Node): { line: number; column: number } => {
    const p = lc.linePos((node ?? fallback).range?.[0] ?? fallback.range?.[0] ?? 0);
    return { line: p.line, column: p.col };
  };
  const pointer = (extra?: string) => [...path, ...(extra === undefined ? [] : [extra])].map((s) => `/${escapePointer(s)}`).join('');

  function walk(node: Node, depth: number): void {
    if (depth > LIMITS.depth) {
      errors.push({ code: 'LIMIT_EXCEEDED', ...at(node, node), message: `${pointer()} nests deeper than ${LIMITS.depth} levels` });
      return;
    }
    if (isMap(node)) {
      if (node.items.length > LIMITS.keysPerMapping) {
        const first = node.items[LIMITS.keysPerMapping]!;
        errors.push({
          code: 'LIMIT_EXCEEDED', ...at(isPair(first) ? (first.key as Node | null) : null, node),
          message: `${pointer() || '/'} holds ${n(node.items.length)} keys, over the limit of ${n(LIMITS.keysPerMapping)} per mapping`,
        });
        return;
      }
      const seen = new Map<unknown, true>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const name = isScalar(key) ? key.value : key;
        if (isScalar(key) && !(typeof name === 'number' && Number.isNaN(name))) {
          if (seen.has(name)) {
            errors.push({ code: 'YAML_SYNTAX', ...at(key, node), message: `Map keys must be unique: ${pointer(String(name))} is written twice` });
            continue;
          }
          seen.set(name, true);
        }
        const value = pair.value as Node | null;
        if (value && !isAlias(value) && (isMap(value) || isSeq(value))) {
          path.push(String(name));
          walk(value, depth + 1);
          path.pop();
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        if (item && !isAlias(item) && (isMap(item) || isSeq(item))) {
          path.push(String(i));
          walk(item as Node, depth + 1);
          path.pop();
        }
      });
    }
  }

  if (doc.contents) walk(doc.contents as Node, 1);
  return errors;
}

/**
 * The first limit a plain value (an API body) breaks: a mapping past the keys limit or nesting past the
 * depth limit, with the JSON pointer of where. Iterative, so depth itself cannot overflow the check.
 */
export function valueOverLimits(root: unknown): { pointer: string; message: string } | undefined {
  const stack: [unknown, string, number][] = [[root, '', 1]];
  while (stack.length) {
    const [v, pointer, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > LIMITS.depth) return { pointer, message: `${pointer} nests deeper than ${LIMITS.depth} levels` };
    const entries = Object.entries(v);
    if (!Array.isArray(v) && entries.length > LIMITS.keysPerMapping) {
      return { pointer: pointer || '/', message: `${pointer || '/'} holds ${n(entries.length)} keys, over the limit of ${n(LIMITS.keysPerMapping)} per mapping` };
    }
    for (const [k, child] of entries) if (child !== null && typeof child === 'object') stack.push([child, `${pointer}/${escapePointer(k)}`, depth + 1]);
  }
  return undefined;
}
