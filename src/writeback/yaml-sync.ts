import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

type Key = string | number;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keeps the comments of a replaced node on its replacement. */
function replaceNode(doc: Document, path: Key[], old: unknown, next: unknown): void {
  const node = doc.createNode(next) as Node;
  if (old && typeof old === 'object' && 'comment' in old) {
    const o = old as Node;
    node.comment = o.comment;
    node.commentBefore = o.commentBefore;
  }
  doc.setIn(path, node);
}

function syncMap(doc: Document, path: Key[], node: ReturnType<typeof doc.getIn>, next: Record<string, unknown>): void {
  if (!isMap(node)) return;
  for (const item of [...node.items]) {
    const key = isScalar(item.key) ? item.key.value : item.key;
    if (typeof key !== 'string' || !(key in next) || next[key] === undefined) node.delete(item.key);
  }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    if (node.has(key)) syncValue(doc, [...path, key], value);
    else node.set(key, doc.createNode(value));
  }
}

/**
 * Makes the node at `path` hold `next` while touching as little of it as possible: unchanged keys and
 * scalars keep their node (and so their comments and style), new keys go last, removed keys go.
 */
export function syncValue(doc: Document, path: Key[], next: unknown): void {
  const node = doc.getIn(path, true);
  if (next === undefined) {
    if (node !== undefined) doc.deleteIn(path);
    return;
  }
  if (isMap(node) && isPlainObject(next)) return syncMap(doc, path, node, next);
  if (isSeq(node) && Array.isArray(next) && node.items.length === next.length) {
    next.forEach((value, i) => syncValue(doc, [...path, i], value));
    return;
  }
  if (isScalar(node) && !isPlainObject(next) && !Array.isArray(next)) {
    if (node.value === next) return;
    // Same type: change the value in place so the scalar's comment and quoting stay.
    if (typeof node.value === typeof next && node.value !== null) {
      node.value = next;
      return;
    }
  }
  replaceNode(doc, path, node, next);
}
