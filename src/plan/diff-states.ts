import { hashedView, keysThatMayDiffer } from '../loader/index.ts';
import type { DesiredResource, DesiredState } from '../loader/index.ts';
import { diffFields, type FieldChange } from './field-diff.ts';

export interface ResourceChange {
  key: string;
  base: DesiredResource;
  head: DesiredResource;
  /** Field changes over apiVersion, kind, metadata (name, namespace, labels, annotations) and spec. */
  changes: FieldChange[];
}

/** What turns one desired state into another, by resource key, each list sorted by key. */
export interface StateDiff {
  baseRevision: string | null;
  headRevision: string;
  created: DesiredResource[];
  changed: ResourceChange[];
  deleted: DesiredResource[];
  unchanged: number;
}

const byKey = (a: { key: string }, b: { key: string }) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Diffs two desired states; equal content hashes short-cut the field comparison. No base: all created. */
export function diffStates(base: DesiredState | undefined, head: DesiredState): StateDiff {
  const created: DesiredResource[] = [];
  const changed: ResourceChange[] = [];
  const deleted: DesiredResource[] = [];
  let unchanged = 0;
  const compare = (key: string, b: DesiredResource | undefined, h: DesiredResource | undefined) => {
    if (!h) return void (b && deleted.push(b));
    if (!b) created.push(h);
    else if (b === h || b.hash === h.hash) unchanged++;
    else changed.push({ key, base: b, head: h, changes: diffFields(hashedView(b.object), hashedView(h.object)) });
  };
  // Two states layered on one base differ only where either changed since it: every other key holds the same resource.
  const keys = base && keysThatMayDiffer(base, head);
  if (keys) {
    let inHead = 0;
    for (const key of keys) {
      const h = head.resources.get(key);
      if (h) inHead++;
      compare(key, base.resources.get(key), h);
    }
    unchanged += head.resources.size - inHead;
  } else {
    for (const [key, h] of head.resources) compare(key, base?.resources.get(key), h);
    if (base) for (const [key, b] of base.resources) if (!head.resources.has(key)) deleted.push(b);
  }
  return {
    baseRevision: base?.revision ?? null,
    headRevision: head.revision,
    created: created.sort(byKey),
    changed: changed.sort(byKey),
    deleted: deleted.sort(byKey),
    unchanged,
  };
}

/** True when the two states hold the same resources with the same content. */
export function isEmptyDiff(d: StateDiff): boolean {
  return d.created.length === 0 && d.changed.length === 0 && d.deleted.length === 0;
}
