import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseRaw } from '../../src/loader/parse.ts';
import { parseSimpleYaml } from '../../src/loader/simple-yaml.ts';

// The fast path must give what the yaml library gives (values, document indexes and starts) whenever it answers,
// and answer nothing for what it does not cover, so the full parse reports the errors.
const full = (text: string) => parseRaw(text, { simple: false, specJson: true });
const fast = (text: string) => parseRaw(text, { specJson: true });

const ACCEPTED: Record<string, string> = {
  'documents, comments and empty documents':
    '# leading comment\n\n---\n# a comment\napiVersion: v1 # trailing\nkind: Team\n---\n---\n# only a comment\n---\n  indented: root\n  b: 2\n',
  'content before the first ---': 'a: 1\n# c\n---\nb: 2\n---\n',
  'scalars of the core schema':
    'a: [1, -0, +5, 007, 0o17, 0x1F, 1.5, 5., .5, -1e3, 2E-2, .inf, -.Inf, .NaN, ~, null, NULL, true, False, TRUE, y, no, 1_000]\n' +
    'b: 12345678901234567890\nc: -.5\nd: 0x\ne: 1.2.3\nf: ~x\ng: nulls\nh: .\ni: -x\nj: +\n',
  'quoted scalars': `a: "x: y # not a comment"\nb: 'it''s'\nc: '' # empty\nd: ""\ne: "caf\u00e9 \u2603"\nf: 'a "b"'\n`,
  'plain scalars': 'a: x#y\nb: x, y, z\nc: http://example.com/a?b=c\nd: a:b\ne: x\u00a0\nf: [a b, c.d/e]\ng: caf\u00e9\n',
  'literal block scalars': 'a: |\n  one\n\n  two\n    indented\n\n\nb: |-\n   kept\n   # not a comment\nc: |\n  last\n',
  'block and compact sequences':
    'a:\n- 1\n- two\nb:\n  - x: 1\n    y: [2]\n  - - nested\n    - seq\n  -\n    z: 3\n  - |\n    text\n  -\nc: {}\nd: []\ne: { name: x, n: 1, k: \'q\', l: "r, s" }\nf:\n',
  'a generated document': '# generated Repository 3\napiVersion: kradle.a5c.ai/v1alpha1\nkind: Repository\nmetadata:\n  name: repo-1\n' +
    '  labels:\n    team: t3\n  annotations:\n    kradle.a5c.ai/description: |\n      line 0: the quick brown fox\n      line 1: jumps\nspec:\n  organizationRef: org-0\n' +
    '  sources: [pull_request.opened]\n  cronExpression: "0 1 * * *"\n',
};

const FALLS_BACK: Record<string, string> = {
  'an anchor and an alias': 'a: &x 1\nb: *x\n',
  'a tag': 'a: !!str 1\n',
  'a duplicate key': 'a: 1\na: 2\n',
  'a tab': 'a:\t1\n',
  'CRLF line ends': 'a: 1\r\nb: 2\r\n',
  'a folded scalar': 'a: >\n  x\n  y\n',
  'a kept block scalar': 'a: |+\n  x\n\n',
  'a multi-line plain scalar': 'a: x\n  y\n',
  'a block scalar at the end of a file without a final newline': 'a: |\n  x',
  'a directive': '%YAML 1.2\n---\na: 1\n',
  'a document end marker': 'a: 1\n...\n',
  'a quoted key': '"a": 1\n',
  'a merge key': 'a: 1\n<<: {b: 2}\n',
  'a nested flow collection': 'a: [[1]]\n',
  'a quoted key in a flow mapping': 'a: { "b": 1 }\n',
  'a trailing comma': 'a: [1, 2,]\n',
  'an escape in a double-quoted scalar': 'a: "x\\ny"\n',
  'a multi-line quoted scalar': 'a: "x\n  y"\n',
  'a root sequence': '- a\n',
  'a root scalar': 'hello\n',
  'a nested mapping on one line': 'a: b: c\n',
  'a key that is a number': '1: a\n',
  'a key that is a boolean': 'true: a\n',
  'the __proto__ key': '__proto__: a\n',
  'a byte order mark inside': 'a: \ufeff1\n',
  'a bad indentation': 'a:\n    b: 1\n  c: 2\n',
  'a seq item followed by a deeper line': '- a\n   b\n',
};

for (const [name, text] of Object.entries(ACCEPTED)) {
  test(`the fast path gives what yaml gives: ${name}`, (t) => {
    t.not(parseSimpleYaml(text), undefined);
    const expected = full(text);
    t.deepEqual(expected.errors, []);
    t.deepEqual(fast(text), expected);
  });
}

for (const [name, text] of Object.entries(FALLS_BACK)) {
  test(`the fast path leaves to yaml: ${name}`, (t) => {
    t.is(parseSimpleYaml(text), undefined);
    t.deepEqual(fast(text), full(text));
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []);
}
const FIXTURES = yamlFiles(new URL('../../fixtures/', import.meta.url).pathname).map((f) => readFileSync(f, 'utf8'));

test('every fixture file parses the same either way, and most take the fast path', (t) => {
  let taken = 0;
  for (const text of FIXTURES) {
    if (parseSimpleYaml(text)) taken++;
    t.deepEqual(fast(text), full(text));
  }
  t.true(taken > FIXTURES.length / 2, `${taken} of ${FIXTURES.length}`);
});

// Edits that break, or nearly break, the structure; seeded, so a failure is repeatable.
const PIECES = [' ', '  ', '\n', '#', ':', ': ', '-', '- ', '"', "'", '|', '|-', '|+', '>', '[', ']', '{', '}', ',', '---\n', '...',
  '&a ', '*a', '!', '?', '\\', '%', '@', '\t', '\r', '\u00a0', '0', '1.5', 'e3', 'x', 'null', 'true', '~', '__proto__', '<<',
  '\n  ', '\n    ', '\n- ', 'k: v\n', '  k2: v\n', ' #c', '.', '0x', '+'];

test('mutated files parse the same either way whenever the fast path answers', (t) => {
  const texts = [...FIXTURES, ...Object.values(ACCEPTED)];
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  let taken = 0;
  const differ: string[] = [];
  for (let n = 0; n < 4000; n++) {
    let text = texts[rnd(texts.length)]!;
    for (let e = rnd(3); e >= 0; e--) {
      const at = rnd(text.length + 1);
      const op = rnd(3);
      const piece = PIECES[rnd(PIECES.length)]!;
      text = op === 0 ? text.slice(0, at) + piece + text.slice(at) : op === 1 ? text.slice(0, at) + text.slice(at + 1 + rnd(3)) : text.slice(0, at) + piece + text.slice(at + 1);
    }
    if (!parseSimpleYaml(text)) continue;
    taken++;
    const expected = full(text);
    if (expected.errors.length || !isDeepStrictEqual(fast(text), expected)) differ.push(text);
  }
  t.deepEqual(differ, []);
  t.true(taken > 500, `${taken} took the fast path`);
});

// What people write in real config files: YAML 1.1 words (yes, on, y), leading zeros, dates, sexagesimals, odd keys,
// and what sends a file to yaml (CRLF, a BOM, a tab after a colon, a non-ASCII key, `...`). Both paths must agree,
// and the words YAML 1.1 took as booleans stay strings under the core schema, whichever path reads them.
const REAL_WORLD: [string, unknown][] = [
  ['yes', 'yes'], ['No', 'No'], ['on', 'on'], ['OFF', 'OFF'], ['y', 'y'], ['0123', 123], ['0o17', 15], ['1:20', '1:20'],
  ['2001-12-14', '2001-12-14'], ['1_000.5', '1_000.5'], ['.nAn', '.nAn'], ['-0', -0], ['0b101', '0b101'], ['tRue', 'tRue'],
  ['"0123"', '0123'], ["'on'", 'on'], ['Équipe née', 'Équipe née'], ['a #b', 'a'], ['x'.repeat(20_000), 'x'.repeat(20_000)],
];

test('real-world values read the same either way, and YAML 1.1 words stay strings', (t) => {
  for (const [written, value] of REAL_WORLD) {
    const text = `kind: Team\nspec:\n  displayName: ${written}\n  on: 1\n  y: 2\n  constructor: 3\n`;
    const expected = full(text);
    t.deepEqual(fast(text), expected, written);
    t.deepEqual((expected.docs[0]!.value as { spec: unknown }).spec, { displayName: value, on: 1, y: 2, constructor: 3 }, written);
  }
  const base = 'kind: Team\nmetadata:\n  name: core\nspec:\n  displayName: Core\n';
  for (const text of [base.replace(/\n/g, '\r\n'), `\ufeff${base}`, base.replace('displayName: ', 'displayName:\t'), `${base}  dísplay: x\n`, `${base}...\n`, `${base}...\n---\n${base}`]) {
    t.deepEqual(fast(text), full(text), JSON.stringify(text));
  }
});
