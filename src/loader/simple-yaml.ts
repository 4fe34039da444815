import { isScalar, Schema, type ScalarTag } from 'yaml';
import { LIMITS } from './limits.ts';

/**
 * A fast path for the YAML config files are nearly always written in: block mappings and sequences, plain and
 * single-line quoted scalars, literal block scalars (`|`, `|-`), one-line flow sequences of plain words, comments
 * and `---`. It gives the values, document indexes and starts the yaml library gives for such a file (~10x
 * faster: yaml builds a token stream, a CST and a Document before the plain values); for anything else, or
 * anything that might be an error, it answers undefined and the caller parses the file with yaml. It never
 * reports an error itself: errors, and the positions they need, always come from yaml.
 */
export interface SimpleDoc {
  index: number;
  value: Record<string, unknown>;
  /** Where its content starts, from 1. */
  line: number;
  column: number;
}

/** Thrown (never as an Error: no stack to capture) when the file leaves the subset. */
const UNSUPPORTED = { unsupported: true };

// Tab, CR, NEL, control characters, a byte order mark or anything outside the BMP: yaml has rules (or errors)
// for them that the fast path does not repeat.
const OUTSIDE = /[^\n\x20-\x7e\u00a0-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
const KEY = /^[A-Za-z_][A-Za-z0-9_./-]*$/;
// Keys the core schema reads as null or booleans, and the one a plain object cannot hold as a plain property.
const SPECIAL_KEYS = new Set(['null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '__proto__']);
// Words of a flow collection: no indicator of its own (`-`, `?` or `:` before a space), single spaces between.
const FLOW_ITEM = /^(?![-?:]( |$))[A-Za-z0-9_./+~-]+( [A-Za-z0-9_./+~-]+)*$/;
const MAX_DEPTH = 64;

// The scalar tags a plain scalar is tested against, in yaml's own order and with its own resolvers, so a plain
// value resolves exactly as yaml resolves it (the core schema, with merge keys as the full parse has them).
const TAGS = new Schema({ merge: true }).tags.filter((t): t is ScalarTag & { test: RegExp } => t.default === true && t.test !== undefined && !t.collection);
const RESOLVE_OPTIONS = { intAsBigInt: false };
const unsupported = (): never => {
  throw UNSUPPORTED;
};
/** Plain scalars starting with one of these may be null, a boolean or a number; others are strings. */
const MAYBE_TYPED = /^[-+.~0-9nNtTfF]/;

function plainValue(s: string): unknown {
  if (!MAYBE_TYPED.test(s)) return s;
  for (const tag of TAGS) {
    if (!tag.test.test(s)) continue;
    const res: unknown = tag.resolve(s, unsupported, RESOLVE_OPTIONS);
    return isScalar(res) ? res.value : res;
  }
  return s;
}

export function parseSimpleYaml(text: string): SimpleDoc[] | undefined {
  if (text.length > LIMITS.documentChars || OUTSIDE.test(text)) return undefined;
  try {
    return new Lines(text).documents();
  } catch (err) {
    if (err === UNSUPPORTED) return undefined;
    throw err;
  }
}

const SPACE = 32;
const HASH = 35;

class Lines {
  private readonly lines: string[];
  /** Leading spaces of each line; -1 for a blank or comment line. A compact `- key: v` moves it to the key. */
  private readonly indent: Int32Array;
  private i = 0;
  private end = 0;
  private readonly endsWithNewline: boolean;

  constructor(text: string) {
    this.lines = text.split('\n');
    this.endsWithNewline = text.endsWith('\n');
    this.indent = new Int32Array(this.lines.length);
    this.lines.forEach((s, k) => {
      let n = 0;
      while (s.charCodeAt(n) === SPACE) n++;
      this.indent[k] = n === s.length || s.charCodeAt(n) === HASH ? -1 : n;
    });
  }

  /** Documents as yaml counts them: one per `---`, and one begun by content before any `---`. */
  documents(): SimpleDoc[] {
    const out: SimpleDoc[] = [];
    const { lines } = this;
    let index = -1;
    let from = 0;
    const take = (to: number) => {
      if (index >= 0) {
        const doc = this.document(from, to, index);
        if (doc) out.push(doc);
      }
    };
    for (let k = 0; k < lines.length; k++) {
      const s = lines[k]!;
      if (s.charCodeAt(0) === 45 && s === '---') {
        take(k);
        index++;
        from = k + 1;
      } else if (s.startsWith('...') || s.startsWith('%') || s.startsWith('---')) {
        unsupported();
      } else if (index < 0 && this.indent[k]! >= 0) {
        index = 0;
        from = k;
      }
    }
    take(lines.length);
    return out;
  }

  private document(from: number, to: number, index: number): SimpleDoc | undefined {
    this.i = from;
    this.end = to;
    const k = this.next();
    if (k >= to) return undefined; // empty: yaml's documents with no content are skipped too
    const col = this.indent[k]!;
    if (!this.isKey(k, col)) unsupported();
    const value = this.mapping(col, 1);
    if (this.next() < to) unsupported();
    return { index, value, line: k + 1, column: col + 1 };
  }

  /** The next line with content (from the cursor), or `end`. */
  private next(): number {
    while (this.i < this.end && this.indent[this.i]! < 0) this.i++;
    return this.i;
  }

  private isDash(k: number, col: number): boolean {
    const s = this.lines[k]!;
    return s.charCodeAt(col) === 45 && (s.length === col + 1 || s.charCodeAt(col + 1) === SPACE);
  }

  /** Where a `key:` at col ends (the colon), or -1. */
  private keyEnd(k: number, col: number): number {
    const s = this.lines[k]!;
    const colon = s.indexOf(':', col);
    if (colon < 0 || (colon + 1 < s.length && s.charCodeAt(colon + 1) !== SPACE)) return -1;
    return colon;
  }

  private isKey(k: number, col: number): boolean {
    return this.keyEnd(k, col) >= 0;
  }

  private block(col: number, depth: number): unknown {
    const k = this.i;
    if (this.isDash(k, col)) return this.sequence(col, depth);
    if (this.isKey(k, col)) return this.mapping(col, depth);
    return unsupported();
  }

  private mapping(col: number, depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) unsupported();
    const out: Record<string, unknown> = {};
    let keys = 0;
    for (;;) {
      const k = this.next();
      if (k >= this.end || this.indent[k]! < col) return out;
      if (this.indent[k]! > col) unsupported();
      const s = this.lines[k]!;
      const colon = this.keyEnd(k, col);
      if (colon < 0) unsupported();
      const key = s.slice(col, colon);
      if (!KEY.test(key) || SPECIAL_KEYS.has(key) || Object.hasOwn(out, key)) unsupported();
      if (++keys > LIMITS.keysPerMapping) unsupported();
      this.i = k + 1;
      out[key] = this.value(s, colon + 1, k, col, depth, true);
    }
  }

  private sequence(col: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) unsupported();
    const out: unknown[] = [];
    for (;;) {
      const k = this.next();
      if (k >= this.end || this.indent[k]! < col || (this.indent[k] === col && !this.isDash(k, col))) return out;
      if (this.indent[k]! > col) unsupported();
      const s = this.lines[k]!;
      let m = col + 1;
      while (s.charCodeAt(m) === SPACE) m++;
      if (m < s.length && s.charCodeAt(m) !== HASH && (this.isDash(k, m) || this.isKey(k, m))) {
        // A compact `- key: v` or `- - v`: the line is read again as if it started at m.
        this.indent[k] = m;
        this.i = k;
        out.push(this.block(m, depth + 1));
      } else {
        this.i = k + 1;
        out.push(this.value(s, col + 1, k, col, depth, false));
      }
    }
  }

  /**
   * The value after a key's colon or an item's dash (from `at` of line k), in a collection at col. An empty one
   * is a nested block, a sequence at the same indent (under a key), or null.
   */
  private value(s: string, at: number, k: number, col: number, depth: number, underKey: boolean): unknown {
    while (s.charCodeAt(at) === SPACE) at++;
    if (at >= s.length || s.charCodeAt(at) === HASH) {
      const n = this.next();
      if (n < this.end && this.indent[n]! > col) return this.block(this.indent[n]!, depth + 1);
      if (underKey && n < this.end && this.indent[n] === col && this.isDash(n, col)) return this.sequence(col, depth + 1);
      return null;
    }
    const rest = s.slice(at);
    let v: unknown;
    switch (rest.charCodeAt(0)) {
      case 124: // |
        v = this.literal(rest, k, col);
        break;
      case 91: // [
      case 123: // {
        v = flow(rest);
        break;
      case 34: // "
      case 39: // '
        v = quoted(rest);
        break;
      default:
        v = plain(rest);
    }
    // Anything more indented after a scalar continues it (or is an error): yaml reads that.
    const n = this.next();
    if (n < this.end && this.indent[n]! > col) unsupported();
    return v;
  }

  /** A literal block scalar (`|` or `|-`) whose lines follow line k, in a collection at col. */
  private literal(header: string, k: number, col: number): string {
    const strip = header.startsWith('|-');
    if (!/^ *$/.test(header.slice(strip ? 2 : 1))) unsupported();
    const { lines } = this;
    let first = k + 1;
    while (first < this.end && leadingSpaces(lines[first]!) === lines[first]!.length) first++;
    if (first >= this.end) unsupported();
    const n = leadingSpaces(lines[first]!);
    if (n <= col) unsupported(); // an empty scalar
    const out: string[] = [];
    let last = k;
    for (let j = k + 1; j < this.end; j++) {
      const line = lines[j]!;
      const spaces = leadingSpaces(line);
      if (spaces === line.length) {
        // A blank line inside: more spaces than the indent would be content yaml has rules for.
        if (spaces > n) unsupported();
        out.push('');
        continue;
      }
      if (spaces < n) break;
      out.push(line.slice(n));
      last = j;
    }
    // The scalar's last line at the end of a file with no final newline: yaml's rule there is not repeated here.
    if (last === lines.length - 1 && !this.endsWithNewline) unsupported();
    out.length = last - k;
    this.i = last + 1;
    return strip ? out.join('\n') : `${out.join('\n')}\n`;
  }
}

/** Spaces trimmed from both ends; only spaces: yaml keeps other white space (a no-break space) in a value. */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (s.charCodeAt(a) === SPACE) a++;
  while (b > a && s.charCodeAt(b - 1) === SPACE) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function leadingSpaces(s: string): number {
  let n = 0;
  while (s.charCodeAt(n) === SPACE) n++;
  return n;
}

/** What may follow a closing quote or bracket on its line: spaces, then a comment. */
function trailer(s: string, from: number): void {
  let j = from;
  while (s.charCodeAt(j) === SPACE) j++;
  if (j < s.length && (s.charCodeAt(j) !== HASH || j === from)) unsupported();
}

function plain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Indicators (a `-` is one only before a space, which the caller has ruled out).
  if ('?:,]}#&*!|>%@`'.includes(s[0]!) || (c === 45 && s.length > 1 && s.charCodeAt(1) === SPACE)) unsupported();
  const hash = s.indexOf(' #');
  const v = trimSpaces(hash < 0 ? s : s.slice(0, hash));
  if (v.includes(': ') || v.endsWith(':') || v === '-') unsupported();
  return plainValue(v);
}

/** A double-quoted scalar without escapes, from `at` (its quote) to the end of its line. */
function doubleQuotedAt(s: string, at: number): { value: string; end: number } {
  const close = s.indexOf('"', at + 1);
  if (close < 0) unsupported();
  const value = s.slice(at + 1, close);
  if (value.includes('\\')) unsupported();
  return { value, end: close + 1 };
}

function singleQuotedAt(s: string, at: number): { value: string; end: number } {
  let value = '';
  let from = at + 1;
  for (;;) {
    const q = s.indexOf("'", from);
    if (q < 0) unsupported();
    value += s.slice(from, q);
    if (s.charCodeAt(q + 1) !== 39) return { value, end: q + 1 };
    value += "'";
    from = q + 2;
  }
}

function quoted(s: string): string {
  const q = s.charCodeAt(0) === 34 ? doubleQuotedAt(s, 0) : singleQuotedAt(s, 0);
  trailer(s, q.end);
  return q.value;
}

/** A one-line flow sequence or mapping of scalars (`[a, "b"]`, `{ name: x }`), nothing nested. */
function flow(s: string): unknown {
  const map = s.charCodeAt(0) === 123;
  const close = map ? 125 : 93;
  const seq: unknown[] = [];
  const obj: Record<string, unknown> = {};
  let at = 1;
  const spaces = () => {
    while (s.charCodeAt(at) === SPACE) at++;
  };
  spaces();
  if (s.charCodeAt(at) === close) {
    trailer(s, at + 1);
    return map ? obj : seq;
  }
  for (;;) {
    let key = '';
    if (map) {
      const colon = s.indexOf(':', at);
      if (colon < 0 || s.charCodeAt(colon + 1) !== SPACE) unsupported();
      key = s.slice(at, colon);
      if (!KEY.test(key) || SPECIAL_KEYS.has(key) || Object.hasOwn(obj, key)) unsupported();
      at = colon + 2;
      spaces();
    }
    let v: unknown;
    const c = s.charCodeAt(at);
    if (c === 34 || c === 39) {
      const q = c === 34 ? doubleQuotedAt(s, at) : singleQuotedAt(s, at);
      v = q.value;
      at = q.end;
    } else {
      let j = at;
      while (j < s.length && s.charCodeAt(j) !== 44 && s.charCodeAt(j) !== close) j++;
      const word = trimSpaces(s.slice(at, j));
      if (!FLOW_ITEM.test(word)) unsupported();
      v = plainValue(word);
      at = j;
    }
    if (map) obj[key] = v;
    else seq.push(v);
    spaces();
    const sep = s.charCodeAt(at++);
    if (sep === close) break;
    if (sep !== 44) unsupported();
    spaces();
    if (s.charCodeAt(at) === close) unsupported(); // a trailing comma
  }
  trailer(s, at);
  return map ? obj : seq;
}
