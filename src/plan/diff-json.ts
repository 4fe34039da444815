import type { DesiredResource } from '../loader/types.ts';
import type { StateDiff } from './diff-states.ts';

const brief = (r: DesiredResource) => ({ key: r.key, kind: r.id.kind, org: r.org, name: r.id.name, path: r.source.path, hash: r.hash });

/** The resource-level plan as JSON, for `kradle diff --format json` and `POST /api/previews`. */
export function diffJson(d: StateDiff) {
  return {
    valid: true,
    base: d.baseRevision,
    head: d.headRevision,
    created: d.created.map(brief),
    changed: d.changed.map((c) => ({ ...brief(c.head), changes: c.changes })),
    deleted: d.deleted.map(brief),
    unchanged: d.unchanged,
  };
}

