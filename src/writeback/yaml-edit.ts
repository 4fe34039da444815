import { Document, isMap, parseAllDocuments, type ToStringOptions } from 'yaml';
import { NotFoundError, ValidationError } from '../errors/index.ts';
import { canonicalJson, type Resource } from '../kinds/index.ts';
import { conventionalPath, identityKey, identityOf, identityOfObject, type ResourceIdentity } from './identity.ts';
import type { ConfigFile, FileEdit, WriteEdit } from './types.ts';
import { syncValue } from './yaml-sync.ts';

// No line folding and no padding inside flow collections: re-rendered documents stay as written.
const STRINGIFY: ToStringOptions = { lineWidth: 0, flowCollectionPadding: false };

interface Located {
  file: ConfigFile;
  docs: Document.Parsed[];
  index: number;
}

/** The identity a write targets. */
export function editIdentity(edit: WriteEdit): ResourceIdentity {
  if (edit.op === 'delete') return { kind: edit.kind, org: edit.org, name: edit.name };
  const id = identityOfObject(edit.resource);
  if (!id) throw new ValidationError('the resource needs kind and metadata.name', { details: [{ code: 'INVALID_RESOURCE', message: 'kind and metadata.name are required', field: 'metadata.name' }] });
  return id;
}

/** Identities of every well-formed document of a file, in order (undefined for the others). */
export function fileIdentities(text: string): (ResourceIdentity | undefined)[] {
  return parseAllDocuments(text).map((doc) => (doc.errors.length ? undefined : identityOf((p) => doc.getIn(p))));
}

function locate(files: readonly ConfigFile[], id: ResourceIdentity): Located | undefined {
  const key = identityKey(id);
  for (const file of files) {
    // Cheap prefilter: a file that never spells the name cannot hold the resource.
    if (!file.text.includes(id.name)) continue;
    const docs = parseAllDocuments(file.text) as Document.Parsed[];
    const index = docs.findIndex((doc) => {
      if (doc.errors.length) return false;
      const found = identityOf((p) => doc.getIn(p));
      return found !== undefined && identityKey(found) === key;
    });
    if (index >= 0) return { file, docs, index };
  }
  return undefined;
}

/** Start offset of each document's text; the first owns everything before it (leading comments). */
function segmentStarts(docs: readonly Document.Parsed[]): number[] {
  return docs.map((doc, i) => (i === 0 ? 0 : doc.range[0]));
}

function spliceDocument(loc: Located, replacement: string): string {
  const starts = segmentStarts(loc.docs);
  const from = starts[loc.index]!;
  const to = loc.index + 1 < starts.length ? starts[loc.index + 1]! : loc.file.text.length;
  return loc.file.text.slice(0, from) + replacement + loc.file.text.slice(to);
}

const emptyToUndefined = (v: Record<string, string> | undefined) => (v && Object.keys(v).length ? v : undefined);

/** The document a new resource is written as: identity, labels, annotations and spec; no server fields. */
export function documentFor(resource: Resource): string {
  const { name, namespace, labels, annotations } = resource.metadata;
  const metadata: Record<string, unknown> = { name };
  if (namespace) metadata.namespace = namespace;
  if (emptyToUndefined(labels)) metadata.labels = labels;
  if (emptyToUndefined(annotations)) metadata.annotations = annotations;
  return new Document({ apiVersion: resource.apiVersion, kind: resource.kind, metadata, spec: resource.spec ?? {} }).toString(STRINGIFY);
}

/** Brings a parsed document to the resource's labels, annotations and spec, keeping comments and key order. */
function syncDocument(doc: Document, resource: Resource): void {
  syncValue(doc, ['spec'], resource.spec ?? {});
  syncValue(doc, ['metadata', 'labels'], emptyToUndefined(resource.metadata.labels));
  syncValue(doc, ['metadata', 'annotations'], emptyToUndefined(resource.metadata.annotations));
}

/**
 * A new resource as its author wrote it: their text verbatim when it already says what the resource is, else
 * their document (comments, key order, quoting) brought to the resource. Without a usable source, a fresh one.
 */
function newDocument(resource: Resource, source: string | undefined): string {
  const docs = source === undefined ? [] : parseAllDocuments(source);
  const doc = docs.length === 1 && !docs[0]!.errors.length ? docs[0]! : undefined;
  // Kind and name must match; the org may come from the command line, and then the spec sync adds its ref.
  if (!doc || doc.getIn(['kind']) !== resource.kind || doc.getIn(['metadata', 'name']) !== resource.metadata.name) return documentFor(resource);
  const before = doc.toString(STRINGIFY);
  syncDocument(doc, resource);
  // The loader needs apiVersion; a document written without it gets it as its first key.
  if (doc.getIn(['apiVersion']) !== resource.apiVersion && isMap(doc.contents)) {
    doc.delete('apiVersion');
    (doc.contents.items as unknown[]).unshift(doc.createPair('apiVersion', resource.apiVersion));
  }
  const after = doc.toString(STRINGIFY);
  if (after !== before) return after;
  const text = source!.replace(/^\s*---[ \t]*\r?\n/, '');
  return text.endsWith('\n') ? text : `${text}\n`;
}

function updateDocument(loc: Located, resource: Resource): FileEdit {
  const doc = loc.docs[loc.index]!;
  const before = doc.toString(STRINGIFY);
  syncDocument(doc, resource);
  const after = doc.toString(STRINGIFY);
  if (after === before) return { path: loc.file.path, text: loc.file.text, created: false, unchanged: true };
  return { path: loc.file.path, text: spliceDocument(loc, after), created: false, unchanged: false };
}

function removeDocument(loc: Located): FileEdit {
  const others = loc.docs.filter((d, i) => i !== loc.index && (d.contents !== null || d.errors.length > 0));
  if (others.length === 0) return { path: loc.file.path, text: null, created: false, unchanged: false };
  let text = spliceDocument(loc, '');
  // The first document needs no marker; drop the one the next document brought along.
  if (loc.index === 0) text = text.replace(/^---[ \t]*\r?\n/, '');
  return { path: loc.file.path, text, created: false, unchanged: false };
}

function createDocument(files: readonly ConfigFile[], resource: Resource, dir: string, source?: string): FileEdit {
  const path = conventionalPath(resource, dir);
  const body = newDocument(resource, source);
  const existing = files.find((f) => f.path === path);
  if (!existing || existing.text.trim() === '') return { path, text: body, created: true, unchanged: false };
  const sep = existing.text.endsWith('\n') ? '' : '\n';
  return { path, text: `${existing.text}${sep}---\n${body}`, created: true, unchanged: false };
}

/**
 * Applies a write to the config files that may hold the resource (pure: text in, text out).
 * An existing resource is edited in the document that holds it, keeping comments and key order;
 * a new one goes to its conventional path; a delete removes the document, or the file when alone.
 */
export function applyEdit(files: readonly ConfigFile[], edit: WriteEdit, opts: { dir?: string } = {}): FileEdit {
  const id = editIdentity(edit);
  const loc = locate(files, id);
  if (edit.op === 'delete') {
    if (!loc) throw new NotFoundError(`${id.kind} ${id.name} not found${id.org ? ` in org ${id.org}` : ''}`);
    return removeDocument(loc);
  }
  if (!loc) return createDocument(files, edit.resource, opts.dir ?? '', edit.source);
  return updateDocument(loc, edit.resource);
}

/**
 * The lines a resource's document spans in a file's text, from its first line to before the next document's
 * marker (numbered from 1, as the loader numbers them), or undefined when the file does not hold it.
 */
export function documentLines(text: string, id: ResourceIdentity): { from: number; to: number } | undefined {
  const loc = locate([{ path: '', text }], id);
  if (!loc) return undefined;
  const starts = segmentStarts(loc.docs);
  const lineAt = (offset: number) => text.slice(0, offset).split('\n').length;
  const next = starts[loc.index + 1];
  return { from: lineAt(starts[loc.index]!), to: next === undefined ? Infinity : lineAt(next) };
}

/** The resource's document as canonical JSON at some file set, or undefined when absent (for If-Match). */
export function documentFingerprint(files: readonly ConfigFile[], id: ResourceIdentity): string | undefined {
  const loc = locate(files, id);
  if (!loc) return undefined;
  const obj = loc.docs[loc.index]!.toJS() as Record<string, unknown>;
  const meta = (obj.metadata ?? {}) as Record<string, unknown>;
  return canonicalJson({ apiVersion: obj.apiVersion, kind: obj.kind, name: meta.name, namespace: meta.namespace, labels: meta.labels, annotations: meta.annotations, spec: obj.spec });
}

