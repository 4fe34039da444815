// Where a refused edit went wrong, in the text being edited. The write API takes JSON and names a bad field
// by JSON pointer (`/spec/maintainers`) or dotted path (`metadata.name`); the editor shows YAML, so each such
// error is placed at its key in the edited text with yaml's node ranges, as `file (edit):line:column`.

/** The segments of a JSON pointer or a dotted field name. */
function segmentsOf(field) {
  if (field === '') return [];
  if (field.startsWith('/')) return field.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return field.split('.');
}

/** Offset of the deepest node on the path that exists: a missing property is placed at the mapping that lacks it. */
function offsetOf(YAML, doc, segments) {
  let node = doc.contents;
  let at = node?.range?.[0] ?? 0;
  for (const seg of segments) {
    if (YAML.isMap(node)) {
      const pair = node.items.find((p) => String(YAML.isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      at = pair.key?.range?.[0] ?? at;
      node = pair.value;
    } else if (YAML.isSeq(node)) {
      const item = node.items[Number(seg)];
      if (!item) break;
      at = item.range?.[0] ?? at;
      node = item;
    } else break;
  }
  return at;
}

/**
 * The API's error details, each placed in `text` (file:line:column plus the offset, for the editor to select):
 * those naming a field get a place in the edit, those already positioned (a file of the written revision) stay.
 */
export function placeInEdit(YAML, details, text, file) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  const where = `${file} (edit)`;
  return details.map((d) => {
    if (d.path || typeof d.field !== 'string') return d;
    const offset = offsetOf(YAML, doc, segmentsOf(d.field));
    const { line, col } = lineCounter.linePos(offset);
    return { ...d, path: where, line, column: col, offset, message: `${d.message} (${d.field})` };
  });
}

/** A draft that is not YAML: each syntax error at its place, before anything is sent. */
export function syntaxErrors(YAML, text, file) {
  const lineCounter = new YAML.LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  return doc.errors.map((e) => {
    const { line, col } = lineCounter.linePos(e.pos[0]);
    return { code: 'YAML_SYNTAX', message: e.message.split('\n')[0], path: `${file} (edit)`, line, column: col, offset: e.pos[0] };
  });
}
