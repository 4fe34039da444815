import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BadRequestError, NotFoundError, ValidationError } from '../../errors/index.ts';
import { normalizeOrgSlug } from '../../kinds/index.ts';
import type { Store } from '../../store/types.ts';
import { PLATFORM_ORG, ROLES, type Principal, type Role } from '../context.ts';

/** A token as listed: never the token or its hash. */
export interface TokenInfo {
  id: string;
  org: string;
  role: Role;
  subject: string;
  createdAt: string;
  /** When the token stops being accepted; null: never. */
  expiresAt: string | null;
  revoked: boolean;
}

export interface TokenService {
  /** Returns the token text once; only its sha256 is stored. */
  create(input: { org: string; role: Role; subject?: string; expiresAt?: Date }): Promise<{ token: string; info: TokenInfo }>;
  list(filter?: { org?: string }): Promise<TokenInfo[]>;
  get(id: string): Promise<TokenInfo | undefined>;
  /** Returns false when no such token. */
  revoke(id: string): Promise<boolean>;
  /** The principal of a valid, unrevoked, unexpired token, undefined otherwise. */
  verify(token: string): Promise<Principal | undefined>;
  /** The principal of token `id` while it is valid: a session re-checks the token it was made from on every use. */
  principal(id: string): Promise<Principal | undefined>;
}

const PREFIX = 'krd';
const TOKEN_RE = /^krd_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;

interface Row {
  id: string;
  token_hash: string;
  org: string;
  role: Role;
  subject: string;
  created_at: string | Date;
  expires_at: string | Date | null;
  revoked: boolean;
}

const iso = (d: string | Date) => (d instanceof Date ? d : new Date(d)).toISOString();
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * A token lifetime such as `30d`, `12h`, `90m`, `3600s` or `2w`, as the instant it ends. 422 naming the
 * field otherwise: a typo must not make a token that never expires.
 */
export function expiryFromTtl(ttl: string, field = 'ttl', now = Date.now()): Date {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/.exec(ttl);
  const seconds = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(seconds > 0) || seconds > 10 * 365 * 86_400) {
    const message = `${field} must be a positive duration such as 30d, 12h, 90m or 3600s (at most 10 years), got ${JSON.stringify(ttl)}`;
    throw new ValidationError(message, { details: [{ code: 'INVALID_TTL', message, field }] });
  }
  return new Date(now + seconds * 1000);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function toInfo(r: Row): TokenInfo {
  return { id: r.id, org: r.org, role: r.role, subject: r.subject, createdAt: iso(r.created_at), expiresAt: r.expires_at === null ? null : iso(r.expires_at), revoked: r.revoked };
}

const isExpired = (r: Row) => r.expires_at !== null && new Date(r.expires_at).getTime() <= Date.now();

/** Bearer tokens in table api_tokens (migration 101): `krd_<id>_<secret>`, looked up by id, compared by hash. */
export function createTokenService(store: Pick<Store, 'query'>): TokenService {
  /** The one validity check, shared by bearer tokens and the sessions made from them. */
  async function usableRow(id: string): Promise<Row | undefined> {
    const rows = await store.query<Row>('SELECT * FROM api_tokens WHERE id = $1', [id]);
    const row = rows[0];
    return row && !row.revoked && !isExpired(row) ? row : undefined;
  }
  const principalOf = (row: Row): Principal => ({
    tokenId: row.id, org: row.org, role: row.role, subject: row.subject,
    ...(row.expires_at === null ? {} : { expiresAt: new Date(row.expires_at).toISOString() }),
  });

  return {
    async create({ org, role, subject, expiresAt }) {
      if (!ROLES.includes(role)) throw new BadRequestError(`role must be one of ${ROLES.join(', ')}`);
      const slug = org === PLATFORM_ORG ? PLATFORM_ORG : normalizeOrgSlug(org);
      if (!slug) throw new BadRequestError('org is required');
      const id = randomBytes(8).toString('hex');
      const token = `${PREFIX}_${id}_${randomBytes(32).toString('base64url')}`;
      if (expiresAt && !(expiresAt.getTime() > Date.now())) throw new BadRequestError('expiresAt must be in the future');
      const rows = await store.query<Row>(
        `INSERT INTO api_tokens (id, token_hash, org, role, subject, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, token_hash, org, role, subject, created_at, expires_at, revoked`,
        [id, sha256(token).toString('hex'), slug, role, subject?.trim() || `token-${id}`, expiresAt?.toISOString() ?? null],
      );
      return { token, info: toInfo(rows[0]!) };
    },
    async list(filter = {}) {
      const rows = filter.org
        ? await store.query<Row>('SELECT * FROM api_tokens WHERE org = $1 ORDER BY created_at, id', [filter.org])
        : await store.query<Row>('SELECT * FROM api_tokens ORDER BY created_at, id');
      return rows.map(toInfo);
    },
    async get(id) {
      const rows = await store.query<Row>('SELECT * FROM api_tokens WHERE id = $1', [id]);
      return rows[0] && toInfo(rows[0]);
    },
    async revoke(id) {
      const rows = await store.query<{ id: string }>(
        'UPDATE api_tokens SET revoked = true, revoked_at = now() WHERE id = $1 RETURNING id',
        [id],
      );
      if (rows.length === 0) throw new NotFoundError(`no token with id ${id}`);
      return true;
    },
    async verify(token) {
      const m = TOKEN_RE.exec(token);
      if (!m) return undefined;
      const row = await usableRow(m[1]!);
      if (!row) return undefined;
      const stored = Buffer.from(row.token_hash, 'hex');
      const given = sha256(token);
      if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
      return principalOf(row);
    },
    async principal(id) {
      const row = await usableRow(id);
      return row && principalOf(row);
    },
  };
}
