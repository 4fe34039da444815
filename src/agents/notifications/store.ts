import { BadRequestError, NotFoundError } from '../../errors/index.ts';
import type { Store } from '../../store/types.ts';

export const NOTIFICATION_TYPES = ['run-complete', 'approval-needed', 'conflict-detected', 'workspace-ready', 'system'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export type Severity = 'info' | 'warning' | 'error';

export interface NewNotification {
  recipient: string;
  type: NotificationType;
  severity: Severity;
  title: string;
  message?: string;
  resource?: { kind: string; name: string };
  /** What caused it (`<Kind>/<name>/<what>`): the same source twice is one notification. */
  source: string;
}

export interface Notification extends Required<Omit<NewNotification, 'resource'>> {
  id: number;
  org: string;
  resource: { kind: string; name: string } | null;
  read: boolean;
  readAt: string | null;
  createdAt: string;
}

export interface Preferences {
  muted: NotificationType[];
}

interface Row {
  id: string | number; org: string; recipient: string; type: NotificationType; severity: Severity; title: string; message: string;
  resource: { kind: string; name: string } | null; source: string; read_at: string | Date | null; created_at: string | Date;
}

const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
const toNotification = (r: Row): Notification => ({
  id: Number(r.id), org: r.org, recipient: r.recipient, type: r.type, severity: r.severity, title: r.title, message: r.message,
  resource: r.resource, source: r.source, read: r.read_at !== null, readAt: iso(r.read_at), createdAt: iso(r.created_at)!,
});

export function checkPreferences(body: unknown): Preferences {
  const muted = (body as { muted?: unknown } | undefined)?.muted ?? [];
  if (!Array.isArray(muted) || muted.some((m) => !(NOTIFICATION_TYPES as readonly string[]).includes(m))) {
    throw new BadRequestError(`muted must be a list of ${NOTIFICATION_TYPES.join(', ')}`);
  }
  return { muted: [...new Set(muted as NotificationType[])] };
}

/** The notification tables: inserts are idempotent by source; reads are per org and recipient. */
export function createNotificationStore(store: Pick<Store, 'query'>) {
  return {
    /** The new notification, or undefined when the recipient muted its type or it exists already. */
    async insert(org: string, n: NewNotification): Promise<Notification | undefined> {
      const rows = await store.query<Row>(
        `INSERT INTO agent_notifications (org, recipient, type, severity, title, message, resource, source)
         SELECT $1, $2, $3, $4, $5, $6, $7::jsonb, $8
         WHERE NOT EXISTS (SELECT 1 FROM agent_notification_preferences p WHERE p.org = $1 AND p.recipient = $2 AND p.preferences->'muted' ? $3)
         ON CONFLICT (org, recipient, type, source) DO NOTHING RETURNING *`,
        [org, n.recipient, n.type, n.severity, n.title.slice(0, 200), (n.message ?? '').slice(0, 2000), n.resource ? JSON.stringify(n.resource) : null, n.source],
      );
      return rows[0] && toNotification(rows[0]);
    },
    async list(org: string, recipient: string, opts: { unread?: boolean; limit?: number; before?: number } = {}): Promise<Notification[]> {
      const limit = Math.min(Math.max(1, opts.limit ?? 50), 500);
      const rows = await store.query<Row>(
        `SELECT * FROM agent_notifications WHERE org = $1 AND recipient = $2 AND ($3::boolean IS NOT TRUE OR read_at IS NULL)
           AND ($4::bigint IS NULL OR id < $4) ORDER BY id DESC LIMIT $5`,
        [org, recipient, opts.unread ?? null, opts.before ?? null, limit],
      );
      return rows.map(toNotification);
    },
    async markRead(org: string, recipient: string, id: number): Promise<Notification> {
      const rows = await store.query<Row>(
        'UPDATE agent_notifications SET read_at = coalesce(read_at, now()) WHERE org = $1 AND recipient = $2 AND id = $3 RETURNING *', [org, recipient, id]);
      if (!rows[0]) throw new NotFoundError(`notification ${id} not found for ${recipient}`);
      return toNotification(rows[0]);
    },
    async markAllRead(org: string, recipient: string): Promise<number> {
      const rows = await store.query<{ id: string }>('UPDATE agent_notifications SET read_at = now() WHERE org = $1 AND recipient = $2 AND read_at IS NULL RETURNING id', [org, recipient]);
      return rows.length;
    },
    async unreadCount(org: string, recipient: string): Promise<number> {
      const [row] = await store.query<{ n: string | number }>('SELECT count(*) AS n FROM agent_notifications WHERE org = $1 AND recipient = $2 AND read_at IS NULL', [org, recipient]);
      return Number(row?.n ?? 0);
    },
    async preferences(org: string, recipient: string): Promise<Preferences> {
      const [row] = await store.query<{ preferences: Preferences }>('SELECT preferences FROM agent_notification_preferences WHERE org = $1 AND recipient = $2', [org, recipient]);
      return { muted: row?.preferences.muted ?? [] };
    },
    async setPreferences(org: string, recipient: string, prefs: Preferences): Promise<Preferences> {
      await store.query(
        `INSERT INTO agent_notification_preferences (org, recipient, preferences) VALUES ($1, $2, $3::jsonb)
         ON CONFLICT (org, recipient) DO UPDATE SET preferences = EXCLUDED.preferences, updated_at = now()`,
        [org, recipient, JSON.stringify(prefs)],
      );
      return prefs;
    },
  };
}

export type NotificationStore = ReturnType<typeof createNotificationStore>;
