import { createHash } from 'node:crypto';
import { ValidationError, sanitize } from '../errors/index.ts';
import type { Queryable } from './driver.ts';
import { iso } from './rows.ts';
import type { AuditEntry, AuditLog } from './types.ts';

/** A digest names a value without holding it: `sha256:<hex>` of its canonical JSON. */
export function auditDigest(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

const DIGEST = /^[a-z0-9-]+:[0-9a-f]{32,128}$/;

interface Row {
  id: unknown;
  org: string;
  actor: string;
  action: string;
  resource: AuditEntry['resource'];
  outcome: string;
  digest: string | null;
  at: unknown;
}

const toEntry = (r: Row): AuditEntry => ({ ...r, id: Number(r.id), at: iso(r.at) });

/**
 * Append-only: this interface offers no update or delete, and the table refuses them (trigger).
 * The digest must look like one, so a secret cannot be filed in its place.
 */
export function createAuditLog(q: Queryable): AuditLog {
  return {
    async append(e) {
      if (e.digest !== null && !DIGEST.test(e.digest)) {
        throw new ValidationError('audit digest must be `<algorithm>:<hex>` (use auditDigest), never the value itself', {
          details: [{ code: 'INVALID_DIGEST', message: 'not a digest', field: 'digest' }],
        });
      }
      const [row] = await q.query<Row>(
        `INSERT INTO audit_log (org, actor, action, resource, outcome, digest) VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING *`,
        [e.org, sanitize(e.actor), sanitize(e.action), JSON.stringify(e.resource ?? null), sanitize(e.outcome), e.digest],
      );
      return toEntry(row!);
    },
    async query(f = {}) {
      const params: unknown[] = [];
      const where: string[] = [];
      if (f.org !== undefined) where.push(`org = $${params.push(f.org)}`);
      if (f.action !== undefined) where.push(`action = $${params.push(f.action)}`);
      if (f.since !== undefined) where.push(`at >= $${params.push(f.since)}::timestamptz`);
      if (f.until !== undefined) where.push(`at < $${params.push(f.until)}::timestamptz`);
      const limit = `LIMIT $${params.push(Math.max(1, Math.min(f.limit ?? 100, 10_000)))}`;
      const offset = `OFFSET $${params.push(Math.max(0, f.offset ?? 0))}`;
      const rows = await q.query<Row>(
        `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${f.order === 'desc' ? 'DESC' : 'ASC'} ${limit} ${offset}`,
        params,
      );
      return rows.map(toEntry);
    },
  };
}
