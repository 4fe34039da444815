import { createHash } from 'node:crypto';
import { resourceKey } from '../kinds/index.ts';
import type { Candidate } from './classify.ts';
import { sortErrors, type LoadError, type LoadWarning } from './errors.ts';
import type { FileUnit } from './file-unit.ts';
import { checkReferences, lookupKey, prepareReferences, scopeDepKey, type RefContext } from './resolve-refs.ts';
import { checkRules } from './rules.ts';
import { collectOrgs, errorAt, scopeCandidate, where, type OrgDirectory, type Scoped } from './scope.ts';
import { createDesiredState, nextDesiredState, toDesiredResource, type StateDelta } from './state.ts';
import type { DesiredResource, DesiredState, RevisionSummary } from './types.ts';

/**
 * The checks that need the whole revision (org scoping, duplicates, references, value rules), kept up to date
 * file by file. A change re-checks the changed documents, the documents whose references ask for a name whose
 * answer changed (a reverse index: lookup key -> referrers), and the duplicate groups they are in; nothing
 * else. A change to the org directory (an org added, removed, renamed or moved) places again the documents
 * whose organizationRef names a changed org, and re-checks the references that name a changed org or namespace.
 * Documents that fail their own checks still exist for lookups, so one mistake reports once instead of
 * cascading into every document that names it.
 */

/** A candidate document of the revision and what the checks found for it. */
interface Node {
  c: Candidate;
  scoped?: Scoped;
  /** resourceKey and lookupKey of the scoped document. */
  key?: string;
  look?: string;
  /** The first of its duplicate group (by path, then position): the one that is desired state and checked. */
  winner: boolean;
  scopeErrors: LoadError[];
  dupErrors: LoadError[];
  /** Reference and value-rule errors (winners only). */
  checkErrors: LoadError[];
  /** The lookup keys its reference checks asked for. */
  deps: readonly string[];
}

export interface FileChange {
  path: string;
  /** The file's unit at the new revision, or null when the file is gone. */
  unit: FileUnit | null;
}

const NO_ERRORS: LoadError[] = [];

const before = (a: Candidate, b: Candidate) => a.path < b.path || (a.path === b.path && a.doc.index < b.doc.index);

/** Organizations (valid, schema-invalid but placed, or failed to parse) make the org directory. */
/** The org a document names (spec.organizationRef), which decides where it is placed; none for an Organization. */
const orgRefOf = (c: Candidate): string | undefined => {
  const ref = (c.resource.spec as { organizationRef?: unknown } | undefined)?.organizationRef;
  return typeof ref === 'string' && c.def.kind !== 'Organization' ? ref : undefined;
};
const isOrgGhost = (g: Candidate) => g.def.kind === 'Organization' && typeof g.resource.spec?.namespaceName === 'string';
const orgish = (u: FileUnit) =>
  u.candidates.some((c) => c.def.kind === 'Organization') || u.ghosts.some(isOrgGhost) || u.broken.some((b) => b.kind === 'Organization');

export function createRevisionModel() {
  const files = new Map<string, FileUnit>();
  const erringFiles = new Set<string>();
  /** Files with warnings, and the revision's warnings made from them (undefined: a change touched one since). */
  const warningFiles = new Set<string>();
  let warnings: LoadWarning[] | undefined = [];
  let documents = 0;

  const orgCandidates = new Set<Candidate>();
  const orgGhosts = new Set<Candidate>();
  /** Org slug -> files of Organizations that failed to parse. */
  const brokenOrgs = new Map<string, string[]>();
  let dir: OrgDirectory = collectOrgs([], []);
  let dirErrors: LoadError[] = [];
  let dirKey = directoryKey(dir);

  const nodes = new Map<Candidate, Node>();
  /**
   * Documents by the org they name: when an org's entry changes, only its documents are placed again. Without
   * it, a layout whose orgs do not come first (loader.ts takes orgs/<org>/organization.yaml first) scanned every
   * placed document each time an org arrived.
   */
  const byOrgRef = new Map<string, Set<Candidate>>();
  /** Every ghost of the revision (schema-invalid documents are rare), placed or not. */
  const ghosts = new Set<Candidate>();
  const ghostKeys = new Map<Candidate, string>();
  /** Scoped documents by resource key, in path order: more than one is a duplicate. */
  const groups = new Map<string, Node[]>();
  /** Lookup key -> how many documents answer it (winners and placed ghosts). */
  const providers = new Map<string, number>();
  /** Lookup key -> files that failed to parse and declare it, sorted. */
  const broken = new Map<string, string[]>();
  /** Lookup key -> the winners whose reference checks asked for it. */
  const referrers = new Map<string, Node | Set<Node>>();
  const erring = new Set<Node>();

  /** In the current change: lookup keys touched, with their answer before it. */
  const touched = new Map<string, string | boolean>();
  const recheck = new Set<Node>();
  /** Resource keys whose winner may differ from the last state made. */
  const changedKeys = new Set<string>();
  let lastState: DesiredState | undefined;
  let checked = 0;

  /** What a reference check reads of a key: whether it has a provider, and the first broken file declaring it. */
  const answer = (k: string): string | boolean => {
    const has = (providers.get(k) ?? 0) > 0;
    const brokenIn = broken.get(k)?.[0];
    return brokenIn === undefined ? has : `${has ? 1 : 0}${brokenIn}`;
  };
  // A key nothing refers to yet needs no answer kept: referrers are added only by settle's checks, after it has
  // compared the answers. A cold load touches every key of the revision and none has referrers.
  const touch = (k: string) => void (touched.has(k) || !referrers.has(k) || touched.set(k, answer(k)));
  const addProvider = (k: string, by: number) => {
    touch(k);
    const n = (providers.get(k) ?? 0) + by;
    if (n === 0) providers.delete(k);
    else providers.set(k, n);
  };
  const ctxHas = (k: string) => providers.has(k);
  const ctxBroken = (k: string) => broken.get(k)?.[0];

  function mark(n: Node): void {
    if (n.scopeErrors.length || n.dupErrors.length || n.checkErrors.length) erring.add(n);
    else erring.delete(n);
  }

  function crown(n: Node): void {
    n.winner = true;
    addProvider(n.look!, 1);
    recheck.add(n);
    changedKeys.add(n.key!);
  }

  function uncrown(n: Node): void {
    n.winner = false;
    addProvider(n.look!, -1);
    dropDeps(n);
    n.checkErrors = NO_ERRORS;
    mark(n);
    recheck.delete(n);
    changedKeys.add(n.key!);
  }

  function dropDeps(n: Node): void {
    for (const k of n.deps) {
      const r = referrers.get(k);
      if (r === n) referrers.delete(k);
      else if (r instanceof Set) {
        r.delete(n);
        if (r.size === 1) referrers.set(k, r.values().next().value!);
      }
    }
    n.deps = NO_DEPS;
  }

  function addDeps(n: Node, deps: readonly string[]): void {
    n.deps = deps;
    for (const k of deps) {
      const r = referrers.get(k);
      if (r === undefined) referrers.set(k, n);
      else if (r instanceof Set) r.add(n);
      else if (r !== n) referrers.set(k, new Set([r, n]));
    }
  }

  function check(n: Node): void {
    checked++;
    dropDeps(n);
    const ctx: RefContext = { dir, has: ctxHas, brokenAt: ctxBroken, deps: [] };
    const errors: LoadError[] = [];
    checkReferences(n.scoped!, ctx, errors);
    checkRules(n.scoped!, dir, errors);
    n.checkErrors = errors.length ? errors : NO_ERRORS;
    addDeps(n, ctx.deps.length > 1 ? [...new Set(ctx.deps)] : ctx.deps.length ? ctx.deps : NO_DEPS);
    mark(n);
  }

  function duplicates(key: string, group: Node[]): void {
    for (const n of group) {
      n.dupErrors = group.length === 1 ? NO_ERRORS : [errorAt(n.c, '/metadata/name', 'DUPLICATE_RESOURCE',
        `${key} is declared more than once (also at ${group.filter((o) => o !== n).map((o) => where(o.c)).join(', ')})`)];
      mark(n);
    }
  }

  function addNode(c: Candidate): void {
    const n: Node = { c, winner: false, scopeErrors: NO_ERRORS, dupErrors: NO_ERRORS, checkErrors: NO_ERRORS, deps: NO_DEPS };
    nodes.set(c, n);
    const ref = orgRefOf(c);
    if (ref !== undefined) {
      const named = byOrgRef.get(ref);
      if (named) named.add(c);
      else byOrgRef.set(ref, new Set([c]));
    }
    if (dir.rejected.has(c)) return;
    const memo = scopeMemoized(c, dir, dirKey);
    n.scopeErrors = memo.errors;
    n.scoped = memo.scoped;
    mark(n);
    const s = n.scoped;
    if (!s) return;
    n.key = s.key ??= resourceKey({ kind: s.def.kind, namespace: s.namespace, name: s.resource.metadata.name });
    n.look = s.lookupKey ??= lookupKey(s.def.kind, s.org, s.resource.metadata.name);
    const group = groups.get(n.key);
    if (!group) return void (groups.set(n.key, [n]), crown(n));
    let i = group.length;
    while (i > 0 && before(c, group[i - 1]!.c)) i--;
    group.splice(i, 0, n);
    if (i === 0) (uncrown(group[1]!), crown(n));
    duplicates(n.key, group);
  }

  function removeNode(c: Candidate): void {
    const n = nodes.get(c)!;
    nodes.delete(c);
    const ref = orgRefOf(c);
    const named = ref === undefined ? undefined : byOrgRef.get(ref);
    if (named?.delete(c) && named.size === 0) byOrgRef.delete(ref!);
    erring.delete(n);
    if (!n.scoped) return;
    const group = groups.get(n.key!)!;
    group.splice(group.indexOf(n), 1);
    if (n.winner) {
      uncrown(n);
      erring.delete(n);
      if (group.length) crown(group[0]!);
    }
    if (group.length) duplicates(n.key!, group);
    else groups.delete(n.key!);
  }

  function addGhost(g: Candidate): void {
    ghosts.add(g);
    const s = g.resource.spec ? scopeCandidate(g, dir, []) : undefined;
    if (!s) return;
    const k = lookupKey(s.def.kind, s.org, s.resource.metadata.name);
    ghostKeys.set(g, k);
    addProvider(k, 1);
  }

  function removeGhost(g: Candidate): void {
    ghosts.delete(g);
    const k = ghostKeys.get(g);
    if (k === undefined) return;
    ghostKeys.delete(g);
    addProvider(k, -1);
  }

  /** What a file contributes whatever the org directory: its own errors, documents, org declarations, broken names. */
  function fileLevel(path: string, u: FileUnit, add: boolean): void {
    documents += add ? u.documents : -u.documents;
    if (add && u.errors.length) erringFiles.add(path);
    else if (!add) erringFiles.delete(path);
    if (u.warnings.length) {
      if (add) warningFiles.add(path);
      else warningFiles.delete(path);
      warnings = undefined;
    }
    for (const c of u.candidates) if (c.def.kind === 'Organization') (add ? orgCandidates.add(c) : orgCandidates.delete(c));
    for (const g of u.ghosts) if (isOrgGhost(g)) (add ? orgGhosts.add(g) : orgGhosts.delete(g));
    for (const b of u.broken) {
      const k = lookupKey(b.kind, b.org, b.name);
      touch(k);
      edit(broken, k, path, add);
      if (b.kind === 'Organization' && b.org !== null) edit(brokenOrgs, b.org, path, add);
    }
  }

  function addSemantic(u: FileUnit): void {
    for (const c of u.candidates) addNode(c);
    for (const g of u.ghosts) addGhost(g);
  }

  function removeSemantic(u: FileUnit): void {
    for (const c of u.candidates) if (nodes.has(c)) removeNode(c);
    for (const g of u.ghosts) removeGhost(g);
  }

  /** The org directory of the revision as it is now: the same declarations in path order give the same directory. */
  function directory(): { dir: OrgDirectory; errors: LoadError[] } {
    const byOrder = (a: Candidate, b: Candidate) => (before(a, b) ? -1 : 1);
    const orgs = [...orgCandidates].sort(byOrder);
    const ghosts = [...orgGhosts].sort(byOrder);
    const errors: LoadError[] = [];
    const firstBroken = new Map([...brokenOrgs].map(([slug, paths]) => [slug, paths[0]!]));
    return { dir: collectOrgs([...orgs, ...ghosts], errors, firstBroken), errors };
  }

  /**
   * Moves the model to a new org directory: places again the documents and ghosts whose organizationRef names an
   * org whose entry changed, and queues for a re-check the documents whose references name an org or namespace
   * that now belongs elsewhere. Every other document is placed and checked as it was.
   */
  function replace(before: OrgDirectory, after: OrgDirectory): void {
    const { slugs, names } = movedScopes(before, after);
    const moved = (c: Candidate) => {
      const ref = orgRefOf(c);
      return ref !== undefined && slugs.has(ref);
    };
    const again: Candidate[] = [];
    for (const slug of slugs) for (const c of byOrgRef.get(slug) ?? []) again.push(c);
    for (const c of again) (removeNode(c), addNode(c));
    for (const g of [...ghosts]) if (moved(g)) (removeGhost(g), addGhost(g));
    for (const name of names) {
      const r = referrers.get(scopeDepKey(name));
      if (r instanceof Set) for (const n of r) recheck.add(n);
      else if (r) recheck.add(r);
    }
  }

  function settle(): void {
    for (const [k, was] of touched) {
      if (answer(k) === was) continue;
      const r = referrers.get(k);
      if (r instanceof Set) for (const n of r) recheck.add(n);
      else if (r) recheck.add(r);
    }
    touched.clear();
    for (const n of recheck) if (n.winner) check(n);
    recheck.clear();
  }

  /**
   * Adds and removes the files of a change (see apply). `prepare`: finds the references of the new winners, and
   * with `build` their state's resources too, ahead of the check.
   */
  function applyFiles(changes: readonly FileChange[], prepare: boolean, build: boolean): void {
    let orgsMoved = false;
    for (const { path, unit } of changes) {
      const old = files.get(path);
      if (old) {
        orgsMoved ||= orgish(old);
        removeSemantic(old);
        fileLevel(path, old, false);
        files.delete(path);
      }
      if (unit) {
        orgsMoved ||= orgish(unit);
        fileLevel(path, unit, true);
        files.set(path, unit);
      }
    }
    if (orgsMoved) {
      const next = directory();
      const key = directoryKey(next.dir);
      const before = dir;
      dir = next.dir;
      dirErrors = next.errors;
      if (key !== dirKey) (dirKey = key), replace(before, dir);
      // Which declaration of a duplicate org is kept (and placed) may have moved.
      for (const c of orgCandidates) if (nodes.has(c)) (removeNode(c), addNode(c));
    }
    for (const { unit } of changes) if (unit) addSemantic(unit);
    if (!prepare) return;
    for (const { unit } of changes) {
      for (const c of unit?.candidates ?? []) {
        const n = nodes.get(c);
        if (!n?.winner || !n.scoped) continue;
        if (build) toDesiredResource(n.scoped);
        prepareReferences(n.scoped);
      }
    }
  }

  return {
    /** The unit a path has in the model's revision. */
    unitOf: (path: string): FileUnit | undefined => files.get(path),

    get documents(): number {
      return documents;
    },

    /** Files of the revision (YAML files and reported links). */
    get files(): number {
      return files.size;
    },

    /** Documents whose references and value rules the last change checked. */
    get checked(): number {
      return checked;
    },

    /**
     * Whether adding the unit now places every document as the whole revision would, whatever files come
     * later: each names an org the model knows already or the file declares (or is an org or platform document). A document placed
     * before its org would get an error, with positions found by parsing its file again, for nothing.
     */
    placeable(u: FileUnit): boolean {
      const own = new Set<unknown>();
      for (const c of u.candidates) if (c.def.kind === 'Organization') own.add(c.resource.spec.slug ?? c.resource.metadata.name);
      const placed = (c: Candidate) => {
        const ref = (c.resource.spec as { organizationRef?: unknown } | undefined)?.organizationRef;
        return c.def.kind === 'Organization' || (c.def.kind === 'PolicyTemplate' && ref === undefined) ||
          (typeof ref === 'string' && (dir.orgs.has(ref) || own.has(ref)));
      };
      return u.broken.length === 0 && u.candidates.every(placed) && u.ghosts.every(placed);
    },

    /**
     * Moves the model to a new revision: `changes` holds every file added, changed or removed. With `check`
     * false, part of one: references and value rules are checked (and the rest of the change settled) by the
     * next apply, and the references of the new winners are found already, and unless `build` is false their
     * state's resources built (a cold load does this while files are still being parsed).
     */
    apply(changes: readonly FileChange[], opts: { check?: boolean; build?: boolean } = {}): void {
      if (opts.check === false) return void applyFiles(changes, true, opts.build !== false);
      checked = 0;
      applyFiles(changes, false, false);
      settle();
    },

    /** What the (valid) revision holds, counted from its winners: what state() would hold, none of it built. */
    summary(revision: string): RevisionSummary {
      const counts = new Map<string, number>();
      const orgs: string[] = [];
      for (const g of groups.values()) {
        const s = g[0]!.scoped!;
        counts.set(s.def.kind, (counts.get(s.def.kind) ?? 0) + 1);
        if (s.def.kind === 'Organization' && s.org !== null) orgs.push(s.org);
      }
      const kinds: Record<string, number> = {};
      for (const k of [...counts.keys()].sort()) kinds[k] = counts.get(k)!;
      return { revision, resources: groups.size, kinds, orgs: orgs.sort() };
    },

    /** Every error of the revision in causal order, or undefined when it is valid. */
    errors(): LoadError[] | undefined {
      if (erringFiles.size === 0 && dirErrors.length === 0 && erring.size === 0) return undefined;
      const all: LoadError[] = [...dirErrors];
      for (const path of erringFiles) for (const e of files.get(path)!.errors) all.push(e);
      for (const n of erring) for (const list of [n.scopeErrors, n.dupErrors, n.checkErrors]) for (const e of list) all.push(e);
      return sortErrors(all);
    },

    /**
     * Every warning of the revision, sorted as errors are. Warnings are per file and sort by path first, so the list
     * is the warning files' lists in path order: remade only after a change added or removed one, from those files.
     */
    warnings(): LoadWarning[] {
      if (warnings) return warnings;
      const all: LoadWarning[] = [];
      for (const path of [...warningFiles].sort()) for (const w of files.get(path)!.warnings) all.push(w);
      // Frozen: the same list is handed to every load until a change touches a warning file.
      return (warnings = Object.freeze(all) as LoadWarning[]);
    },

    /** The desired state of the (valid) revision, sharing what did not change with the last one made. */
    state(revision: string): DesiredState {
      const winnerOf = (key: string) => {
        const g = groups.get(key);
        return g ? toDesiredResource(g[0]!.scoped!) : null;
      };
      let state: DesiredState;
      if (!lastState) {
        const list: DesiredResource[] = [];
        for (const g of groups.values()) list.push(toDesiredResource(g[0]!.scoped!));
        state = createDesiredState(revision, list);
      } else {
        const changes = new Map<string, DesiredResource | null>();
        for (const key of changedKeys) {
          const now = winnerOf(key);
          if (now !== (lastState.resources.get(key) ?? null)) changes.set(key, now);
        }
        state = nextDesiredState(lastState, revision, changes as StateDelta);
      }
      changedKeys.clear();
      lastState = state;
      return state;
    },
  };
}

const NO_DEPS: readonly string[] = [];

/**
 * What differs between two org directories: the slugs whose entry (namespace, or the file that failed to
 * declare it) changed, which is what placing a document under its organizationRef reads; and the names (slugs
 * and namespaces) a reference may give whose org changed, which is what a reference into an org reads.
 */
function movedScopes(a: OrgDirectory, b: OrgDirectory): { slugs: Set<string>; names: Set<string> } {
  const slugs = new Set<string>();
  for (const s of new Set([...a.orgs.keys(), ...b.orgs.keys(), ...a.brokenOrgs.keys(), ...b.brokenOrgs.keys()])) {
    if (a.orgs.get(s)?.namespace !== b.orgs.get(s)?.namespace || a.brokenOrgs.get(s) !== b.brokenOrgs.get(s)) slugs.add(s);
  }
  const names = new Set<string>();
  const orgOf = (d: OrgDirectory, n: string) => (d.orgs.has(n) ? n : d.orgOfNamespace(n));
  for (const d of [a, b]) {
    for (const o of d.orgs.values()) {
      for (const n of [o.slug, o.namespace]) if (orgOf(a, n) !== orgOf(b, n)) names.add(n);
    }
  }
  return { slugs, names };
}

function edit(m: Map<string, string[]>, key: string, path: string, add: boolean): void {
  const list = m.get(key) ?? [];
  const i = list.indexOf(path);
  if (add && i < 0) (list.push(path), list.sort());
  if (!add && i >= 0) list.splice(i, 1);
  if (list.length) m.set(key, list);
  else m.delete(key);
}

/** Identifies the org directory: scoping a document again under the same one gives the same answer. */
function directoryKey(dir: OrgDirectory): string {
  const orgs = [...dir.orgs.values()].map((o) => `${o.slug}=${o.namespace}`).sort().join(',');
  const broken = [...dir.brokenOrgs].map(([slug, path]) => `${slug}@${path}`).sort().join(',');
  return createHash('sha1').update(`${orgs};${broken}`).digest('base64');
}

interface ScopeMemo {
  dirKey: string;
  scoped?: Scoped;
  errors: LoadError[];
  /** The placement under the directory before (a diff preview alternates between two revisions). */
  before?: ScopeMemo;
}

// Candidates are reused across loads for unchanged files (see file-unit.ts), so scoping is memoized on
// them per org directory: a reload re-scopes only what changed. The placement under the directory before
// is kept too: going back to it gives the same objects, so the desired state shares them again.
const scopes = new WeakMap<Candidate, ScopeMemo>();

function scopeMemoized(c: Candidate, dir: OrgDirectory, dirKey: string): ScopeMemo {
  let memo = scopes.get(c);
  if (memo?.dirKey === dirKey) return memo;
  const last = memo && { dirKey: memo.dirKey, scoped: memo.scoped, errors: memo.errors };
  if (memo?.before?.dirKey === dirKey) {
    memo = { ...memo.before, before: last };
  } else {
    const own: LoadError[] = [];
    let scoped = scopeCandidate(c, dir, own);
    // Same place as before (another org changed): keep the old object and what is memoized on it.
    const old = memo?.scoped;
    if (old && scoped && old.org === scoped.org && old.namespace === scoped.namespace && old.tenant === scoped.tenant) scoped = old;
    memo = { dirKey, scoped, errors: own.length ? own : NO_ERRORS, before: last };
  }
  scopes.set(c, memo);
  return memo;
}
