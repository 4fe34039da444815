import { isConfigKind, PLATFORM_NAMESPACE } from '../kinds/index.ts';
import type { LoadError } from './errors.ts';
import { findRefs, referencesOf, type ReferenceRule } from './references.ts';
import { errorAt, type OrgDirectory, type Scoped } from './scope.ts';

/**
 * What reference checks ask of the revision, by lookup key (kind, org, name): whether a document answers
 * it, and which file that failed to parse declares it. Every key asked is pushed on `deps`: a check's
 * result changes only when the answer for one of them does, which is what a reload re-checks on.
 */
export interface RefContext {
  dir: OrgDirectory;
  has(key: string): boolean;
  brokenAt(key: string): string | undefined;
  deps: string[];
}

interface ParsedRef {
  name: string;
  namespace?: string;
  org?: string;
  kind?: string;
}

/** The key of the semantic pass's lookup index: kind, org (empty for platform) and name. */
export function lookupKey(kind: string, org: string | null, name: string): string {
  return `${kind}\0${org ?? ''}\0${name}`;
}

/**
 * The dependency key of a reference that names an org or namespace (`{name, namespace}`, `org/name`): its
 * answer comes from the org directory, so a change of which org that name belongs to re-checks the document.
 */
export function scopeDepKey(scopeName: string): string {
  return `\u0001${scopeName}`;
}

interface FoundRef {
  rule: ReferenceRule;
  pointer: string;
  value: unknown;
  /** For a plain in-org reference: the index keys, any of which resolves it. */
  keys?: string[];
}

/** Checks every reference of the table in one document; plain references are answered by their precomputed keys. */
export function checkReferences(s: Scoped, ctx: RefContext, errors: LoadError[]): void {
  for (const { rule, pointer, value, keys } of refsOf(s)) {
    if (keys) {
      for (const k of keys) ctx.deps.push(k);
      if (keys.some(ctx.has)) continue;
    }
    const e = checkOne(s, rule, pointer, value, ctx);
    if (e) errors.push(e);
  }
}

// Where a document's references are and what they name is a function of its content and org alone;
// whether they resolve is checked on every load against the whole revision (a deleted target must
// still be caught).
const found = new WeakMap<Scoped, FoundRef[]>();

/**
 * Finds a placed document's references ahead of its check: a cold load does it as files are parsed, so the check
 * of every document after the last parse (the main thread alone) only looks them up.
 */
export function prepareReferences(s: Scoped): void {
  refsOf(s);
}

function refsOf(s: Scoped): FoundRef[] {
  let refs = found.get(s);
  if (!refs) {
    refs = [];
    for (const rule of referencesOf(s.def.kind)) {
      for (const { pointer, value } of findRefs(s.resource.spec, rule.field)) refs.push({ rule, pointer, value, keys: keysOf(s, rule, value) });
    }
    found.set(s, refs);
  }
  return refs;
}

/** The same lookups checkOne makes for a reference without org or namespace (those depend on the org directory). */
function keysOf(s: Scoped, rule: ReferenceRule, value: unknown): string[] | undefined {
  const ref = parseRef(value);
  if (!ref || ref.org !== undefined || ref.namespace !== undefined || rule.target === 'cluster') return undefined;
  const kinds = targetKinds(rule, ref);
  if (typeof kinds === 'string') return undefined;
  const keys: string[] = [];
  for (const kind of kinds) {
    keys.push(lookupKey(kind, s.org, ref.name));
    if (kind === 'PolicyTemplate') keys.push(lookupKey(kind, null, ref.name));
  }
  return keys;
}

function parseRef(value: unknown): ParsedRef | undefined {
  if (typeof value === 'string' && value) {
    const slash = value.indexOf('/');
    return slash > 0 ? { org: value.slice(0, slash), name: value.slice(slash + 1) } : { name: value };
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name) return undefined;
    if (o.namespace !== undefined && typeof o.namespace !== 'string') return undefined;
    if (o.kind !== undefined && typeof o.kind !== 'string') return undefined;
    return { name: o.name, namespace: o.namespace as string | undefined, kind: o.kind as string | undefined };
  }
  return undefined;
}

function checkOne(s: Scoped, rule: ReferenceRule, pointer: string, value: unknown, ctx: RefContext): LoadError | undefined {
  const dir = ctx.dir;
  const ask = (kind: string, org: string | null, name: string) => {
    const key = lookupKey(kind, org, name);
    ctx.deps.push(key);
    return key;
  };
  const lookup = (kind: string, org: string | null, name: string) => ctx.has(ask(kind, org, name));
  const field = `spec.${rule.field}`;
  const ref = parseRef(value);
  if (!ref) return errorAt(s, pointer, 'INVALID_VALUE', `${field} must be a name or {name, namespace?}`);
  // Where the reference points: its namespace or org prefix, else the referring document's org.
  let targetOrg: string | null | undefined = s.org;
  const scopeName = ref.org ?? ref.namespace;
  if (scopeName !== undefined) {
    if (scopeName !== PLATFORM_NAMESPACE) ctx.deps.push(scopeDepKey(scopeName));
    targetOrg = scopeName === PLATFORM_NAMESPACE ? null : (dir.orgs.has(scopeName) ? scopeName : dir.orgOfNamespace(scopeName));
    if (targetOrg === undefined) {
      return errorAt(s, pointer, rule.target === 'cluster' ? 'CROSS_ORG_REF_DENIED' : 'DANGLING_REF',
        `${field} points into ${scopeName}, which is no org of this revision`);
    }
    if (targetOrg !== null && targetOrg !== s.org) {
      return errorAt(s, pointer, 'CROSS_ORG_REF_DENIED', `${field} points into org ${targetOrg}: references may not leave org ${s.org ?? PLATFORM_NAMESPACE}`);
    }
  }
  if (rule.target === 'cluster') {
    return targetOrg === null ? errorAt(s, pointer, 'CROSS_ORG_REF_DENIED', `${field} may only name objects in the org's own namespace`) : undefined;
  }
  const kinds = targetKinds(rule, ref);
  if (typeof kinds === 'string') return errorAt(s, pointer, 'INVALID_VALUE', `${field} ${kinds}`);
  for (const kind of kinds) {
    if (lookup(kind, targetOrg, ref.name)) return undefined;
    // A platform PolicyTemplate is usable by every org.
    if (kind === 'PolicyTemplate' && scopeName === undefined && lookup(kind, null, ref.name)) return undefined;
  }
  const inOrg = targetOrg === null ? PLATFORM_NAMESPACE : `org ${targetOrg}`;
  // The target may be in a file that failed to parse: that file's error is the one to fix.
  const brokenIn = kinds.map((kind) => ctx.brokenAt(ask(kind, targetOrg, ref.name))).find((p) => p !== undefined);
  const cause = brokenIn === undefined ? '' : `: it is declared in ${brokenIn}, which failed to parse`;
  return errorAt(s, pointer, 'DANGLING_REF', `${field} names ${kinds.join(' or ')} ${ref.name}, which does not exist in ${inOrg}${cause}`);
}

/** The kinds a reference may name, or why it cannot name any. */
function targetKinds(rule: ReferenceRule, ref: ParsedRef): readonly string[] | string {
  if (rule.target === 'any') {
    if (!ref.kind) return 'needs a kind: {kind, name}';
    return isConfigKind(ref.kind) ? [ref.kind] : `names kind ${ref.kind}, which is not a config kind`;
  }
  if (ref.kind && !(rule.target as readonly string[]).includes(ref.kind)) return `must name ${(rule.target as readonly string[]).join(' or ')}, not ${ref.kind}`;
  return rule.target as readonly string[];
}
