// Field ownership for server-side apply: which manager owns which leaves, conflicts between appliers,
// removal of fields an applier stops sending, and the metadata.managedFields rendering.
import {
  clone, deepEqual, deleteAt, displayPath, getAt, isObject, ownedLeaves, overlaps, parsePath, setAt, toFieldsV1,
  type Json, type JsonObject,
} from './fields.ts';
import { ApiError, failure } from './status.ts';

export type Scope = 'main' | 'status' | 'all';

export interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource: '' | 'status';
  apiVersion: string;
  time: string;
  fields: Set<string>;
}

export interface WriteContext {
  manager: string;
  scope: Scope;
  apiVersion: string;
  now: string;
  /** For conflict messages: plural, group and name of the object. */
  target: { resource: string; group: string; name: string };
}

const copyOwners = (owners: Owner[]): Owner[] => owners.map((o) => ({ ...o, fields: new Set(o.fields) }));
const subresourceOf = (scope: Scope): '' | 'status' => (scope === 'status' ? 'status' : '');

function entryFor(owners: Owner[], ctx: WriteContext, operation: Owner['operation']): Owner {
  const subresource = subresourceOf(ctx.scope);
  let entry = owners.find((o) => o.manager === ctx.manager && o.operation === operation && o.subresource === subresource);
  if (!entry) {
    entry = { manager: ctx.manager, operation, subresource, apiVersion: ctx.apiVersion, time: ctx.now, fields: new Set() };
    owners.push(entry);
  }
  return entry;
}

function setFields(entry: Owner, fields: Set<string>, ctx: WriteContext): void {
  const same = entry.fields.size === fields.size && [...fields].every((f) => entry.fields.has(f));
  entry.fields = fields;
  if (!same) entry.time = ctx.now;
}

function conflictError(conflicts: { owner: Owner; key: string }[], ctx: WriteContext): ApiError {
  const causes = conflicts.map(({ owner, key }) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with "${owner.manager}" using ${owner.apiVersion}`,
    field: displayPath(key),
  }));
  const list = causes.map((c) => `${c.message}: ${c.field}`).join('; ');
  const n = conflicts.length;
  const message = `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${list}`;
  return new ApiError(failure(409, message, { name: ctx.target.name, group: ctx.target.group, kind: ctx.target.resource, causes }));
}

/** Merges an apply configuration into the live object; throws a 409 Status on unforced conflicts. */
export function applyConfig(
  live: JsonObject | undefined, owners: Owner[], config: JsonObject, ctx: WriteContext & { force: boolean },
): { obj: JsonObject; owners: Owner[] } {
  const applied = ownedLeaves(config, ctx.scope);
  const obj: JsonObject = live ? clone(live) : {};
  const next = copyOwners(owners);
  const conflicts: { owner: Owner; key: string }[] = [];
  for (const [key, value] of applied) {
    const current = getAt(obj, parsePath(key));
    const same = deepEqual(current, value) || (isObject(value) && Object.keys(value).length === 0 && isObject(current));
    for (const o of next) {
      if (o.manager === ctx.manager) continue;
      const hits = [...o.fields].filter((f) => overlaps(f, key));
      if (hits.length === 0) continue;
      if (ctx.force) hits.forEach((f) => o.fields.delete(f));
      else if (!same) conflicts.push({ owner: o, key });
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts, ctx);
  const mine = entryFor(next, ctx, 'Apply');
  for (const key of mine.fields) {
    if (applied.has(key)) continue;
    const ownedElsewhere = next.some((o) => o !== mine && [...o.fields].some((f) => overlaps(f, key)));
    if (!ownedElsewhere) deleteAt(obj, parsePath(key));
  }
  for (const [key, value] of applied) setAt(obj, parsePath(key), value);
  setFields(mine, new Set(applied.keys()), ctx);
  return { obj, owners: next.filter((o) => o.fields.size > 0) };
}

/** Ownership after a non-apply write (create, update, merge patch): the writer takes what it changed. */
export function recordUpdate(old: JsonObject | undefined, obj: JsonObject, owners: Owner[], ctx: WriteContext): Owner[] {
  const before = old ? ownedLeaves(old, ctx.scope) : new Map<string, Json>();
  const after = ownedLeaves(obj, ctx.scope);
  const changed = [...after].filter(([k, v]) => !before.has(k) || !deepEqual(before.get(k), v)).map(([k]) => k);
  const removed = [...before.keys()].filter((k) => !after.has(k));
  const next = copyOwners(owners);
  const mine = entryFor(next, ctx, 'Update');
  for (const o of next) {
    for (const f of [...o.fields]) {
      const taken = o !== mine && changed.some((k) => overlaps(k, f));
      if (taken || removed.some((k) => overlaps(k, f) && !after.has(f))) o.fields.delete(f);
    }
  }
  if (changed.length > 0) setFields(mine, new Set([...mine.fields, ...changed]), ctx);
  return next.filter((o) => o.fields.size > 0);
}

export function ownersEqual(a: Owner[], b: Owner[]): boolean {
  const key = (o: Owner) => `${o.manager}|${o.operation}|${o.subresource}|${[...o.fields].sort().join(',')}`;
  return a.length === b.length && a.map(key).sort().join('\n') === b.map(key).sort().join('\n');
}

export function renderManagedFields(owners: Owner[]): JsonObject[] {
  return owners.map((o) => {
    const entry: JsonObject = {
      manager: o.manager, operation: o.operation, apiVersion: o.apiVersion, time: o.time,
      fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(o.fields),
    };
    if (o.subresource) entry.subresource = o.subresource;
    return entry;
  });
}
