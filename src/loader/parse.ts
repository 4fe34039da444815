import { Composer, LineCounter, Parser, isMap, isPair, isScalar, isSeq, visit, type Document, type Node } from 'yaml';
import type { ErrorDetail } from '../errors/index.ts';
import { canonicalJson, headJson } from './hash.ts';
import { documentTooLarge, fileTooLarge, LIMITS, treeErrors } from './limits.ts';
import { parseSimpleYaml } from './simple-yaml.ts';

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

/**
 * What a document that failed to parse still says it declares, read from what the parser recovered: it lets
 * the errors it causes elsewhere (a reference to it, documents of its org) name it as their cause.
 */
export interface BrokenDecl {
  kind: string;
  name: string;
  /** The org slug it belongs to (an Organization's own slug), or null when it names none. */
  org: string | null;
}

/** A parsed file: its documents and its syntax errors (without the path: one blob may live at two paths). */
export interface ParsedFile {
  docs: ParsedDoc[];
  errors: Omit<ErrorDetail, 'path'>[];
  broken?: BrokenDecl[];
  /** The parse was stopped (time budget): its error says so, and the next load parses the file again. */
  stopped?: boolean;
}

/** What a parse produces: plain data, cheap to send from a worker thread. */
export interface RawParsedFile {
  /**
   * With `eager` (big files, parsed on a worker), what would otherwise hold the main thread: the field
   * positions an error may need, and the canonical JSON of the spec that the content hash covers.
   */
  docs: RawDoc[];
  errors: Omit<ErrorDetail, 'path'>[];
  broken?: BrokenDecl[];
  stopped?: boolean;
}

/** A parsed document as plain data; a worker also fills `specJson`. */
export interface RawDoc {
  index: number;
  value: unknown;
  start: PackedPos;
  positions?: Map<string, PackedPos>;
  specJson?: string;
  /** headJson of the document (hash.ts), made with specJson. */
  headJson?: string;
  /** True: a parse worker found the document valid against its kind's schema (classify.ts takes it as is). */
  valid?: true;
  /**
   * With `valid`: the spec fields the schema does not list (SchemaValidator.unknownFields), when there are any;
   * none when absent. Without `valid` the worker did not look, and the main thread does.
   */
  unknown?: string[];
}

/** Positions kept per document when a parse is asked for them: shallow fields first, the rest found by ancestor. */
const EAGER_POSITIONS = 10_000;

export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

// merge: `<<` keys as Kubernetes tooling (go-yaml) reads them; without it `<<: *base` would load as a
// literal "<<" field, which unknown-field tolerance in specs would let through with its values lost.
// uniqueKeys: yaml's check is quadratic in a mapping's keys; treeErrors (limits.ts) does it in one pass.
const OPTIONS = { uniqueKeys: false, prettyErrors: false, merge: true } as const;

type Decoded = { text: string } | { error: Omit<ErrorDetail, 'path'> };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A YAML file's text, in the encodings YAML requires a reader to take (YAML 1.2 §5.2): UTF-8, or
 * UTF-16/UTF-32 told by a byte order mark or by the null bytes around a first ASCII character.
 * Bytes that are not valid in the encoding are the file's error: decoding them as U+FFFD would
 * load changed values without a word.
 */
export function decodeYaml(bytes: Uint8Array): Decoded {
  const [a, b, c, d] = [bytes[0], bytes[1], bytes[2], bytes[3]];
  if (bytes.length >= 4 && ((a === 0 && b === 0 && c === 0xfe && d === 0xff) || (a === 0 && b === 0 && c === 0 && d !== 0))) return utf32(bytes, false);
  if (bytes.length >= 4 && ((a === 0xff && b === 0xfe && c === 0 && d === 0) || (a !== 0 && b === 0 && c === 0 && d === 0))) return utf32(bytes, true);
  if (bytes.length >= 2 && ((a === 0xfe && b === 0xff) || (a === 0 && b !== 0))) return utf16(bytes, 'utf-16be');
  if (bytes.length >= 2 && ((a === 0xff && b === 0xfe) || (a !== 0 && b === 0))) return utf16(bytes, 'utf-16le');
  try {
    return { text: macLineEnds(utf8.decode(bytes)) }; // drops a UTF-8 byte order mark
  } catch {
    const at = invalidUtf8At(bytes);
    return encodingError(utf8.decode(bytes.subarray(0, at)), `the file is not valid UTF-8 (byte 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}): save it as UTF-8`);
  }
}

/**
 * A file whose lines end in CR alone (classic Mac OS) with its breaks as LF: YAML counts a lone CR as a line break
 * (§5.4) but yaml does not, and would read the file as one line of errors. Only a file without any LF: in one with
 * both, a stray CR inside a line has always loaded as part of its value, which this must not change.
 */
function macLineEnds(text: string): string {
  return text.includes('\r') && !text.includes('\n') ? text.replace(/\r/g, '\n') : text;
}

function utf16(bytes: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): Decoded {
  try {
    return { text: macLineEnds(new TextDecoder(encoding, { fatal: true }).decode(bytes)) };
  } catch {
    return encodingError('', `the file looks ${encoding.toUpperCase()} encoded but is not valid ${encoding.toUpperCase()} (odd length or a broken surrogate pair): save it as UTF-8`);
  }
}

function utf32(bytes: Uint8Array, little: boolean): Decoded {
  if (bytes.length % 4 !== 0) return encodingError('', 'the file looks UTF-32 encoded but its length is not a multiple of 4: save it as UTF-8');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const cp = view.getUint32(i, little);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return encodingError(text, `the file looks UTF-32 encoded but holds an invalid code point 0x${cp.toString(16)}: save it as UTF-8`);
    if (i > 0 || cp !== 0xfeff) text += String.fromCodePoint(cp);
  }
  return { text };
}

/** The error at the end of `before`, the text that decoded before the bad bytes. */
function encodingError(before: string, message: string): Decoded {
  const lines = before.split('\n');
  return { error: { code: 'YAML_SYNTAX', message, line: lines.length, column: lines.at(-1)!.replace(/^\ufeff/, '').length + 1 } };
}

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence (RFC 3629). */
function invalidUtf8At(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const [n, lo, hi] = b < 0x80 ? [0, 0, 0] : b >= 0xc2 && b <= 0xdf ? [1, 0x80, 0xbf] : b === 0xe0 ? [2, 0xa0, 0xbf] : b === 0xed ? [2, 0x80, 0x9f]
      : b >= 0xe1 && b <= 0xef ? [2, 0x80, 0xbf] : b === 0xf0 ? [3, 0x90, 0xbf] : b >= 0xf1 && b <= 0xf3 ? [3, 0x80, 0xbf] : b === 0xf4 ? [3, 0x80, 0x8f] : [-1, 0, 0];
    if (n < 0 || i + n >= bytes.length + (n === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= n; k++) {
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return i;
}

/** Decodes and parses a file's bytes; an encoding problem is the file's only error. */
export function parseBytes(bytes: Uint8Array, opts: ParseOptions = {}): RawParsedFile {
  if (bytes.byteLength > LIMITS.fileBytes) return { docs: [], errors: [fileTooLarge(bytes.byteLength)] };
  const d = decodeYaml(bytes);
  return 'error' in d ? { docs: [], errors: [d.error] } : parseRaw(d.text, opts);
}

/**
 * What a parsed file keeps to find positions later: its bytes alone. Made here, at module level, so the closure
 * holds nothing of the load that made it (a closure keeps its whole enclosing scope alive).
 */
export function sourceOf(bytes: Uint8Array): () => string {
  return () => textOf(bytes);
}

/**
 * The same, reading the blob again when asked (a snapshot's readBlobSync), so a parsed file keeps no bytes. A
 * blob the reader cannot give back any more (pruned from the repository) leaves positions at the document start.
 */
export function sourceFromBlob(read: (oid: string) => Uint8Array | undefined, oid: string): () => string {
  return () => textOf(read(oid) ?? new Uint8Array());
}

/** The text whose positions a parse of `bytes` reported (empty when it did not decode, so had no documents). */
export function textOf(bytes: Uint8Array): string {
  const d = decodeYaml(bytes);
  return 'text' in d ? d.text : '';
}

export interface ParseOptions {
  /** Big files on a worker: positions and spec JSON made with the parse (see RawParsedFile). */
  eager?: boolean;
  /**
   * Each document's spec JSON made with the parse: a cold load parses in parallel, so making it then (while
   * the other cores parse too) spares the serial work after the last file that building the state is.
   */
  specJson?: boolean;
  /** False: always parse with yaml, never through the fast path of simple-yaml.ts (for tests comparing the two). */
  simple?: boolean;
}

/** Parses every document of a file; empty documents are skipped, documents with syntax errors dropped. */
export function parseRaw(text: string, opts: ParseOptions = {}): RawParsedFile {
  // Big files keep the full parse: their positions are made with it (eager).
  const simple = !opts.eager && opts.simple !== false ? parseSimpleYaml(text) : undefined;
  if (simple) {
    const docs = simple.map((d): RawDoc => {
      const start = packPos(d.line, d.column);
      return opts.specJson ? { index: d.index, value: d.value, start, specJson: specJsonOf(d.value), headJson: headJsonOf(d.value) } : { index: d.index, value: d.value, start };
    });
    return { docs, errors: [] };
  }
  const lc = new LineCounter();
  const out: RawParsedFile = { docs: [], errors: [] };
  const tooLarge = (offset: number, chars: number) => {
    const at = lc.linePos(offset);
    out.errors.push(documentTooLarge(chars, at.line, at.col));
  };
  eachDocument(text, lc, (doc, index) => {
    const limits = doc.contents ? treeErrors(doc, lc) : [];
    let tooDeep = limits.length > 0;
    for (const e of doc.errors) {
      // The parser reports a stack overflow at each level it unwinds through: dozens of errors at successive
      // columns for one cause. One says it, and none when the depth limit (checked without recursion) does.
      if (e.message.startsWith(STACK_OVERFLOW)) {
        if (tooDeep) continue;
        tooDeep = true;
      }
      const at = lc.linePos(e.pos[0]);
      out.errors.push({ code: 'YAML_SYNTAX', message: firstLine(e.message), line: at.line, column: at.col });
    }
    for (const e of limits) out.errors.push(e);
    if (doc.errors.length || limits.length) {
      const decl = brokenDecl(doc);
      if (decl) (out.broken ??= []).push(decl);
      return;
    }
    const start = lc.linePos(doc.contents!.range?.[0] ?? 0);
    try {
      const value = doc.toJS({ maxAliasCount: 100 });
      const at = packPos(start.line, start.col);
      if (opts.eager) out.docs.push({ index, value, start: at, positions: fieldPositions(doc, lc, EAGER_POSITIONS), specJson: specJsonOf(value), headJson: headJsonOf(value) });
      else out.docs.push(opts.specJson ? { index, value, start: at, specJson: specJsonOf(value), headJson: headJsonOf(value) } : { index, value, start: at });
    } catch (err) {
      // yaml throws (rather than reporting) when aliases expand past maxAliasCount: a "billion laughs" file
      // is that file's error, never the whole revision's crash.
      const at = lc.linePos(unresolvedAlias(doc) ?? doc.contents!.range?.[0] ?? 0);
      out.errors.push({ code: 'YAML_SYNTAX', message: firstLine((err as Error).message), line: at.line, column: at.col });
    }
  }, tooLarge);
  return out;
}

/** The kind, name and org a document with errors still declares, when the parser recovered them. */
function brokenDecl(doc: Document.Parsed): BrokenDecl | undefined {
  let v: unknown;
  try {
    v = doc.toJS({ maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const { kind, metadata, spec } = v as { kind?: unknown; metadata?: { name?: unknown }; spec?: { organizationRef?: unknown; slug?: unknown } };
  const name = metadata?.name;
  if (typeof kind !== 'string' || typeof name !== 'string') return undefined;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const org = kind === 'Organization' ? (str(spec?.slug) ?? name) : (str(spec?.organizationRef) ?? null);
  return { kind, name, org };
}

/** Where the first alias without an anchor before it is: anchors do not reach across `---`, a common surprise. */
function unresolvedAlias(doc: Document.Parsed): number | undefined {
  let at: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      at = node.range?.[0];
      return visit.BREAK;
    },
  });
  return at;
}

/**
 * Documents with errors, and the non-empty ones: `---` with nothing, or only comments, is skipped.
 * A document over the size limit is not composed at all: `tooLarge` gets its start and size instead.
 */
function eachDocument(text: string, lc: LineCounter, fn: (doc: Document.Parsed, index: number) => void,
  tooLarge: (offset: number, chars: number) => void = () => {}): void {
  const tokens = Array.from(new Parser(lc.addNewLine).parse(text));
  const composer = new Composer(OPTIONS);
  const docs: Document.Parsed[] = [];
  // The composer yields one document per document token it is given, in order.
  const indexes: number[] = [];
  let index = 0;
  tokens.forEach((token, i) => {
    if (token.type === 'document') {
      const chars = (tokens[i + 1]?.offset ?? text.length) - token.offset;
      if (chars > LIMITS.documentChars) return void (tooLarge(token.offset, chars), index++);
      indexes.push(index++);
    }
    for (const doc of composer.next(token)) docs.push(doc);
  });
  for (const doc of composer.end()) docs.push(doc);
  docs.forEach((doc, k) => {
    if (!doc.errors.length && (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null))) return;
    fn(doc, indexes[k]!);
  });
}

/** A file's positions, found on first use by parsing its text again: only files with errors need them. */
class FilePositions {
  private all?: Map<number, Map<string, PackedPos>>;
  constructor(private readonly source: () => string) {}
  of(index: number): Map<string, PackedPos> {
    return (this.all ??= collectAll(this.source())).get(index) ?? new Map<string, PackedPos>();
  }
}

/** A parsed document: its position map comes from its file's, unless a worker sent one (big files). */
class Doc implements ParsedDoc {
  constructor(
    readonly index: number,
    readonly value: unknown,
    readonly start: PackedPos,
    readonly memo: Record<string, unknown>,
    private readonly file: FilePositions,
    private readonly own: Map<string, PackedPos> | undefined,
  ) {}
  get positions(): Map<string, PackedPos> {
    return this.own ?? this.file.of(this.index);
  }
}

/** The schema issues of a document a worker found valid, shared: a flag crosses threads, not a list per document. */
const NO_ISSUES = Object.freeze([]);
/** The same for its unknown fields, which a worker sends only when there are some. */
const NO_UNKNOWN = Object.freeze([]);

/** The errors of a file without any, shared (most files). */
const NO_ERRORS: ParsedFile['errors'] = Object.freeze([]) as unknown as ParsedFile['errors'];

/**
 * Gives a raw parse its positions, computed on first use by parsing `source()` again: only files
 * with errors need them, and not keeping a map per document saves memory and a cold load's time.
 * Documents are class instances, not literals with a getter: those cost a closure and a hidden class each.
 */
export function withPositions(raw: RawParsedFile, source: () => string): ParsedFile {
  const file = new FilePositions(source);
  // One memo shape for every document (state.ts takes specJson by setting it undefined, never by delete):
  // a deleted key turns the object into a slow dictionary of ~280 bytes.
  const docs = raw.docs.map((d): ParsedDoc => new Doc(d.index, d.value, d.start, {
    specJson: d.specJson, headJson: d.headJson, schema: d.valid && NO_ISSUES, unknown: d.valid && (d.unknown ?? NO_UNKNOWN),
  }, file, d.positions));
  const out: ParsedFile = { docs, errors: raw.errors.length ? raw.errors : NO_ERRORS };
  if (raw.broken) out.broken = raw.broken;
  if (raw.stopped) out.stopped = true;
  return out;
}

/** The canonical JSON of a document's spec, which its content hash covers (hash.ts). */
export function specJsonOf(value: unknown): string | undefined {
  const spec = value !== null && typeof value === 'object' ? (value as { spec?: unknown }).spec : undefined;
  return spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? canonicalJson(spec) : undefined;
}

/** headJson (hash.ts) of a document whose metadata is an object: the others never reach the state. */
function headJsonOf(value: unknown): string | undefined {
  const meta = value !== null && typeof value === 'object' ? (value as { metadata?: unknown }).metadata : undefined;
  return meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? headJson(value as Parameters<typeof headJson>[0]) : undefined;
}

/** JSON pointer -> position of each field of a document (its key, or its item), breadth-first, at most `max`. */
function fieldPositions(doc: Document.Parsed, lc: LineCounter, max = Infinity): Map<string, PackedPos> {
  const out = new Map<string, PackedPos>();
  const start = lc.linePos(doc.contents!.range?.[0] ?? 0);
  out.set('', packPos(start.line, start.col));
  const queue: [Node, string][] = [[doc.contents as Node, '']];
  for (let i = 0; i < queue.length && out.size < max; i++) {
    const [node, pointer] = queue[i]!;
    const add = (child: string, at: Node | null, value: unknown) => {
      const p = lc.linePos(at?.range?.[0] ?? 0);
      out.set(child, packPos(p.line, p.col));
      if (value && (isMap(value) || isSeq(value))) queue.push([value as Node, child]);
    };
    if (isMap(node)) {
      for (const pair of node.items) {
        if (out.size >= max) break;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        add(`${pointer}/${escapePointer(key)}`, pair.key as Node | null, pair.value);
      }
    } else if (isSeq(node)) {
      for (let k = 0; k < node.items.length && out.size < max; k++) add(`${pointer}/${k}`, node.items[k] as Node | null, node.items[k]);
    }
  }
  return out;
}

function collectAll(text: string): Map<number, Map<string, PackedPos>> {
  const lc = new LineCounter();
  const out = new Map<number, Map<string, PackedPos>>();
  eachDocument(text, lc, (doc, index) => {
    if (!doc.errors.length) out.set(index, fieldPositions(doc, lc));
  });
  return out;
}

const STACK_OVERFLOW = 'Maximum call stack size exceeded';

function firstLine(message: string): string {
  const line = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  // The parser and toJS recurse per level: a bare RangeError would not tell the author what to change.
  return line === STACK_OVERFLOW ? `the document nests too deeply to load (${line})` : line;
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
