import YAML from 'yaml';
import type { ErrorDetail } from '../../errors/index.ts';

/**
 * The ontology a memory change is checked against. Taken from the AgentMemoryOntology spec
 * (requiredFields, edgeKinds, vocabulary) merged with the YAML/JSON file at its spec.ontologyPath.
 */
export interface Ontology {
  /** Fields every graph node must carry (default: id, kind). */
  requiredFields: string[];
  /** Allowed edge kinds; empty = any. */
  edgeKinds: string[];
  /** Allowed node kinds; empty = any. */
  vocabulary: string[];
}

export const MEMORY_ROOT = '.company-brain';
export const MEMORY_AREAS = ['ontology', 'graph', 'runbooks', 'decisions'] as const;
const STRUCTURED = /\.(ya?ml|json)$/i;

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function ontologyFrom(...sources: (Record<string, unknown> | undefined)[]): Ontology {
  const pick = (field: string) => [...new Set(sources.flatMap((s) => strings(s?.[field])))];
  const required = pick('requiredFields');
  return { requiredFields: required.length ? required : ['id', 'kind'], edgeKinds: pick('edgeKinds'), vocabulary: pick('vocabulary') };
}

export function parseStructured(path: string, content: string): unknown {
  return /\.json$/i.test(path) ? JSON.parse(content) : YAML.parse(content);
}

interface Graph {
  nodes: Record<string, unknown>[];
  edges: Record<string, unknown>[];
}

/**
 * Accepted graph file shape (JSON or YAML): `{ nodes: [{id, kind, ...}], edges: [{from, to, kind}] }`,
 * or a single node object `{id, kind, ...}` (optionally with `edges`).
 */
export function graphOf(doc: unknown): Graph {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { nodes: [], edges: [] };
  const d = doc as Record<string, unknown>;
  const edges = Array.isArray(d.edges) ? (d.edges as Record<string, unknown>[]) : [];
  if (Array.isArray(d.nodes)) return { nodes: d.nodes as Record<string, unknown>[], edges };
  const { edges: _e, ...node } = d;
  return { nodes: [node], edges };
}

function checkGraph(path: string, graph: Graph, o: Ontology): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  graph.nodes.forEach((n, i) => {
    for (const f of o.requiredFields) {
      if (n?.[f] === undefined || n[f] === '') out.push({ code: 'ONTOLOGY_REQUIRED_FIELD', message: `node ${i} lacks required field ${f}`, path, field: `/nodes/${i}/${f}` });
    }
    if (o.vocabulary.length && typeof n?.kind === 'string' && !o.vocabulary.includes(n.kind)) {
      out.push({ code: 'ONTOLOGY_VOCABULARY', message: `node kind ${n.kind} is not in the vocabulary (${o.vocabulary.join(', ')})`, path, field: `/nodes/${i}/kind` });
    }
  });
  graph.edges.forEach((e, i) => {
    if (!e?.from || !e?.to) out.push({ code: 'ONTOLOGY_EDGE', message: `edge ${i} needs from and to`, path, field: `/edges/${i}` });
    if (o.edgeKinds.length && !o.edgeKinds.includes(String(e?.kind))) {
      out.push({ code: 'ONTOLOGY_EDGE_KIND', message: `edge kind ${String(e?.kind)} is not allowed (${o.edgeKinds.join(', ')})`, path, field: `/edges/${i}/kind` });
    }
  });
  return out;
}

const MAX_PATH = 1024;

/**
 * A name git must not get in a tree: control characters (a NUL corrupts the tree object), a backslash (a
 * separator on Windows checkouts), `.git` in any case and the other `.git*` files git acts on when checked out.
 */
function unsafeName(name: string): boolean {
  return /[\x00-\x1f\x7f\\]/.test(name) || /^\.git/i.test(name.trimEnd()) || name.length > 255;
}

/** A path as it may appear in an error: control characters shown escaped. */
function printable(path: string): string {
  return path.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`).slice(0, MAX_PATH);
}

/** Path rules and ontology checks of one changed file; an empty list means it may be committed. */
export function checkMemoryFile(path: string, content: string, o: Ontology): ErrorDetail[] {
  const parts = path.split('/');
  if (parts[0] !== MEMORY_ROOT || !(MEMORY_AREAS as readonly string[]).includes(parts[1] ?? '') || parts.length < 3 || parts.some((p) => p === '..' || p === '.' || p === '')) {
    return [{ code: 'MEMORY_PATH', message: `memory files live under ${MEMORY_ROOT}/{${MEMORY_AREAS.join(',')}}/`, path: printable(path) }];
  }
  const unsafe = parts.find(unsafeName);
  if (unsafe !== undefined || path.length > MAX_PATH) {
    return [{ code: 'MEMORY_PATH', message: `memory file names must be printable, at most ${MAX_PATH} characters, with no backslash and no .git* entry (git refuses such trees or runs them)`, path: printable(path) }];
  }
  const area = parts[1];
  if ((area !== 'graph' && area !== 'ontology') || !STRUCTURED.test(path)) return [];
  let doc: unknown;
  try {
    doc = parseStructured(path, content);
  } catch (err) {
    return [{ code: 'MEMORY_PARSE', message: `not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`, path }];
  }
  return area === 'graph' ? checkGraph(path, graphOf(doc), o) : [];
}
