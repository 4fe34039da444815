// The object store: objects by resource, one global resourceVersion counter, a bounded event history
// for watches, and the write paths (create, replace, merge patch, apply, delete) with field ownership.
import { randomUUID } from 'node:crypto';
import { clone, deepEqual, isObject, mergePatch, type Json, type JsonObject } from './fields.ts';
import { applyConfig, ownersEqual, recordUpdate, renderManagedFields, type Owner, type Scope, type WriteContext } from './ownership.ts';
import { BUILTINS, CRD_GROUP, defsFromCrd, groupVersion, type ResourceDef } from './resources.ts';
import { parseSelector } from './labels.ts';
import { alreadyExists, ApiError, conflict, failure, notFound } from './status.ts';
import { checkBody } from './validate.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoredEvent {
  rv: number;
  type: EventType;
  resource: string;
  namespace?: string;
  object: JsonObject;
  previous?: JsonObject;
}

interface Entry {
  resource: string;
  def: ResourceDef;
  obj: JsonObject;
  owners: Owner[];
}

export interface WriteOptions {
  manager: string;
  subresource?: 'status';
}

const resKey = (def: { group: string; plural: string }) => `${def.group}/${def.plural}`;
const objKey = (def: ResourceDef, ns: string | undefined, name: string) => `${resKey(def)}/${def.namespaced ? ns ?? '' : ''}/${name}`;
const meta = (o: JsonObject) => o.metadata as JsonObject;
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const withoutMeta = ({ metadata: _m, status: _s, ...rest }: JsonObject) => rest;

function readToken(text: string): { rv: number; after: string } {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString()) as { rv: number; after: string };
    if (typeof token.rv === 'number' && typeof token.after === 'string') return token;
  } catch {
    // Reported below.
  }
  throw new ApiError(failure(400, 'the provided continue parameter is not valid'));
}

export class ObjectStore {
  rv = 1;
  compactedRv = 0;
  readonly history: StoredEvent[] = [];
  private readonly entries = new Map<string, Entry>();
  /** The same entries by resource type, so a list reads only its own type. */
  private readonly byResource = new Map<string, Map<string, Entry>>();
  /** Served types, recomputed only when a CRD changes: every request resolves its type through them. */
  private served?: { all: ResourceDef[]; byPath: Map<string, ResourceDef>; byKind: Map<string, ResourceDef> };
  private readonly listeners = new Set<(e: StoredEvent) => void>();

  constructor(private readonly historyLimit: number) {
    for (const name of ['default', 'kube-system']) this.create(this.defFor('v1', 'Namespace')!, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, { manager: 'bootstrap' });
  }

  private servedTypes() {
    if (!this.served) {
      const crds = [...(this.byResource.get(`${CRD_GROUP}/customresourcedefinitions`)?.values() ?? [])];
      const all = [...BUILTINS, ...crds.flatMap((e) => defsFromCrd(e.obj))];
      const byPath = new Map<string, ResourceDef>();
      const byKind = new Map<string, ResourceDef>();
      for (const d of all) {
        if (!byPath.has(`${d.group}/${d.version}/${d.plural}`)) byPath.set(`${d.group}/${d.version}/${d.plural}`, d);
        if (!byKind.has(`${groupVersion(d)}/${d.kind}`)) byKind.set(`${groupVersion(d)}/${d.kind}`, d);
      }
      this.served = { all, byPath, byKind };
    }
    return this.served;
  }

  defs(): ResourceDef[] {
    return this.servedTypes().all;
  }

  resolve(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.servedTypes().byPath.get(`${group}/${version}/${plural}`);
  }

  defFor(apiVersion: string, kind: string): ResourceDef | undefined {
    return this.servedTypes().byKind.get(`${apiVersion}/${kind}`);
  }

  subscribe(fn: (e: StoredEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Forgets the event history, so a watch from any earlier resourceVersion gets 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  entry(def: ResourceDef, ns: string | undefined, name: string): Entry {
    const e = this.entries.get(objKey(def, ns, name));
    if (!e) throw notFound(def.plural, name, def.group);
    return e;
  }

  get(def: ResourceDef, ns: string | undefined, name: string): JsonObject {
    return clone(this.entry(def, ns, name).obj);
  }

  list(def: ResourceDef, ns: string | undefined, labelSelector?: string | null): JsonObject[] {
    return this.listPage(def, ns, labelSelector).items;
  }

  /**
   * One page of a list, in key order, as an API server pages with `limit` and `continue`: the token names the
   * last key served and the resourceVersion of the first page, which every page reports (changes made between
   * pages reach a watch started from it).
   */
  listPage(def: ResourceDef, ns: string | undefined, labelSelector?: string | null, page: { limit?: number; continue?: string | null } = {}): { items: JsonObject[]; rv: number; continue?: string } {
    const matches = parseSelector(labelSelector);
    const token = page.continue ? readToken(page.continue) : undefined;
    const chosen = [...(this.byResource.get(resKey(def))?.entries() ?? [])]
      .filter(([key]) => !token || key > token.after)
      .filter(([, e]) => !def.namespaced || !ns || meta(e.obj).namespace === ns)
      .filter(([, e]) => matches((meta(e.obj).labels ?? {}) as Record<string, string>));
    const rv = token?.rv ?? this.rv;
    if (!page.limit || page.limit <= 0 || chosen.length <= page.limit) return { items: chosen.map(([, e]) => clone(e.obj)), rv };
    chosen.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const served = chosen.slice(0, page.limit);
    const next = Buffer.from(JSON.stringify({ rv, after: served[served.length - 1]![0] })).toString('base64url');
    return { items: served.map(([, e]) => clone(e.obj)), rv, continue: next };
  }

  create(def: ResourceDef, ns: string | undefined, body: Json, opts: WriteOptions): JsonObject {
    const m = checkBody(def, body, ns, undefined);
    const obj = body as JsonObject;
    const name = String(m.name);
    this.requireNamespace(def, ns);
    if (this.entries.has(objKey(def, ns, name))) throw alreadyExists(def.plural, name, def.group);
    for (const f of ['uid', 'resourceVersion', 'managedFields', 'generation', 'creationTimestamp']) delete m[f];
    if (def.statusSubresource) delete obj.status;
    this.initialStatus(def, obj);
    const owners = recordUpdate(undefined, obj, [], this.ctx(def, name, opts, def.statusSubresource ? 'main' : 'all'));
    return this.commit(def, undefined, obj, owners);
  }

  replace(def: ResourceDef, ns: string | undefined, name: string, body: Json, opts: WriteOptions): JsonObject {
    const live = this.entry(def, ns, name);
    const m = checkBody(def, body, ns, name);
    if (m.resourceVersion !== undefined && m.resourceVersion !== meta(live.obj).resourceVersion) {
      throw new ApiError(failure(409, `Operation cannot be fulfilled on ${def.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, group: def.group, kind: def.plural }));
    }
    return this.update(def, live, body as JsonObject, opts);
  }

  patch(def: ResourceDef, ns: string | undefined, name: string, patch: Json, opts: WriteOptions): JsonObject {
    const live = this.entry(def, ns, name);
    const next = mergePatch(live.obj, patch) as JsonObject;
    checkBody(def, next, ns, name);
    return this.update(def, live, next, opts);
  }

  apply(def: ResourceDef, ns: string | undefined, name: string, body: Json, opts: WriteOptions & { force: boolean }): { obj: JsonObject; created: boolean } {
    const m = checkBody(def, body, ns, name);
    const live = this.entries.get(objKey(def, ns, name));
    // Applying to a subresource never creates the object, as with a real API server.
    if (!live && opts.subresource === 'status') throw notFound(def.plural, name, def.group);
    if (!live) this.requireNamespace(def, ns);
    const scope = this.scopeOf(def, opts);
    const { obj, owners } = applyConfig(live?.obj, live?.owners ?? [], body as JsonObject, { ...this.ctx(def, name, opts, scope), force: opts.force });
    obj.apiVersion = groupVersion(def);
    obj.kind = def.kind;
    if (!isObject(obj.metadata)) obj.metadata = {};
    Object.assign(meta(obj), { name, ...(def.namespaced ? { namespace: m.namespace } : {}) });
    if (!live) this.initialStatus(def, obj);
    return { obj: this.commit(def, live, obj, owners), created: !live };
  }

  /**
   * Deletes an object; DeleteOptions `preconditions` (uid, resourceVersion) that the live object does not meet
   * refuse it with 409 Conflict, as a real API server does, so a client never deletes an object that was
   * replaced or changed after it looked.
   */
  delete(def: ResourceDef, ns: string | undefined, name: string, preconditions: { uid?: string; resourceVersion?: string } = {}): JsonObject {
    const live = this.entry(def, ns, name);
    const m = meta(live.obj);
    if (preconditions.uid !== undefined && preconditions.uid !== m.uid) {
      throw conflict(def.plural, name, def.group, `Precondition failed: UID in precondition: ${preconditions.uid}, UID in object meta: ${String(m.uid)}`);
    }
    if (preconditions.resourceVersion !== undefined && preconditions.resourceVersion !== m.resourceVersion) {
      throw conflict(def.plural, name, def.group, `Precondition failed: ResourceVersion in precondition: ${preconditions.resourceVersion}, ResourceVersion in object meta: ${String(m.resourceVersion)}`);
    }
    if (def.kind === 'Namespace') this.deleteWhere((e) => e.def.namespaced && meta(e.obj).namespace === name);
    if (def.kind === 'CustomResourceDefinition') {
      const served = defsFromCrd(live.obj).map(resKey);
      this.deleteWhere((e) => served.includes(e.resource));
    }
    this.remove(live);
    return clone(live.obj);
  }

  /** Sets status by hand, as a controller would (Deployment available, PVC Bound, Job complete). */
  setStatus(def: ResourceDef, ns: string | undefined, name: string, status: JsonObject): JsonObject {
    const live = this.entry(def, ns, name);
    return this.commit(def, live, { ...clone(live.obj), status: clone(status) }, live.owners);
  }

  owners(def: ResourceDef, ns: string | undefined, name: string): Owner[] {
    return this.entry(def, ns, name).owners;
  }

  private update(def: ResourceDef, live: Entry, body: JsonObject, opts: WriteOptions): JsonObject {
    const scope = this.scopeOf(def, opts);
    let next = clone(body);
    if (scope === 'main') next.status = clone(live.obj.status ?? null);
    if (scope === 'status') next = { ...clone(live.obj), status: clone(body.status ?? null) };
    if (next.status === null) delete next.status;
    const m = meta(next);
    for (const f of ['uid', 'resourceVersion', 'generation', 'creationTimestamp']) m[f] = clone(meta(live.obj)[f] ?? null);
    const owners = recordUpdate(live.obj, next, live.owners, this.ctx(def, String(m.name), opts, scope));
    return this.commit(def, live, next, owners);
  }

  private scopeOf(def: ResourceDef, opts: WriteOptions): Scope {
    if (!def.statusSubresource) return 'all';
    return opts.subresource === 'status' ? 'status' : 'main';
  }

  private ctx(def: ResourceDef, name: string, opts: WriteOptions, scope: Scope): WriteContext {
    return { manager: opts.manager, scope, apiVersion: groupVersion(def), now: now(), target: { resource: def.plural, group: def.group, name } };
  }

  private requireNamespace(def: ResourceDef, ns: string | undefined): void {
    if (!def.namespaced) return;
    if (!this.entries.has(objKey(this.defFor('v1', 'Namespace')!, undefined, ns ?? ''))) throw notFound('namespaces', ns ?? '');
  }

  private initialStatus(def: ResourceDef, obj: JsonObject): void {
    // What the namespace registry and the CRD controller set right after creation.
    if (def.kind === 'Namespace') obj.status = { phase: 'Active' };
    if (def.kind === 'CustomResourceDefinition') {
      const t = now();
      obj.status = {
        acceptedNames: clone(((obj.spec as JsonObject)?.names ?? {}) as Json),
        conditions: ['NamesAccepted', 'Established'].map((type) => ({ type, status: 'True', reason: type, message: '', lastTransitionTime: t })),
      };
    }
  }

  private commit(def: ResourceDef, live: Entry | undefined, obj: JsonObject, owners: Owner[]): JsonObject {
    const m = meta(obj);
    for (const [k, v] of Object.entries(m)) if (v === null) delete m[k];
    if (live) {
      const before = { ...live.obj, metadata: { ...meta(live.obj), managedFields: null, resourceVersion: null } };
      const after = { ...obj, metadata: { ...m, managedFields: null, resourceVersion: null } };
      if (deepEqual(before, after) && ownersEqual(live.owners, owners)) return clone(live.obj);
      const specChanged = !deepEqual(withoutMeta(live.obj), withoutMeta(obj));
      m.generation = Number(meta(live.obj).generation ?? 1) + (specChanged ? 1 : 0);
    } else {
      Object.assign(m, { uid: randomUUID(), creationTimestamp: now(), generation: 1 });
    }
    m.resourceVersion = String(++this.rv);
    m.managedFields = renderManagedFields(owners);
    const entry: Entry = { resource: resKey(def), def, obj, owners };
    this.index(objKey(def, m.namespace as string | undefined, String(m.name)), entry);
    this.emit({ rv: this.rv, type: live ? 'MODIFIED' : 'ADDED', resource: entry.resource, namespace: m.namespace as string | undefined, object: clone(obj), previous: live && clone(live.obj) });
    return clone(obj);
  }

  private deleteWhere(pred: (e: Entry) => boolean): void {
    for (const e of [...this.entries.values()]) if (pred(e)) this.remove(e);
  }

  private index(key: string, entry: Entry | undefined, def: ResourceDef = entry!.def): void {
    let ofType = this.byResource.get(resKey(def));
    if (!ofType) this.byResource.set(resKey(def), (ofType = new Map()));
    if (entry) {
      this.entries.set(key, entry);
      ofType.set(key, entry);
    } else {
      this.entries.delete(key);
      ofType.delete(key);
    }
    if (def.kind === 'CustomResourceDefinition' && def.group === CRD_GROUP) this.served = undefined;
  }

  private remove(e: Entry): void {
    const m = meta(e.obj);
    this.index(objKey(e.def, m.namespace as string | undefined, String(m.name)), undefined, e.def);
    const object = clone(e.obj);
    meta(object).resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', resource: e.resource, namespace: m.namespace as string | undefined, object });
  }

  private emit(event: StoredEvent): void {
    this.history.push(event);
    while (this.history.length > this.historyLimit) this.compactedRv = this.history.shift()!.rv;
    for (const fn of this.listeners) fn(event);
  }
}
