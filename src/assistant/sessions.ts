import { randomUUID } from 'node:crypto';
import type { Store } from '../store/types.ts';

export interface StoredMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface SessionInfo {
  id: string;
  createdAt: string;
  updatedAt: string;
  messages: number;
}

const iso = (v: unknown) => (v instanceof Date ? v : new Date(String(v))).toISOString();

/** Assistant sessions, messages and artifacts in Postgres (migration 910), always scoped by org. */
export function createSessionStore(store: Pick<Store, 'query' | 'transaction'>) {
  return {
    async history(org: string, id: string): Promise<StoredMessage[]> {
      return store.query<StoredMessage>('SELECT role, content FROM assistant_messages WHERE org = $1 AND session_id = $2 ORDER BY seq', [org, id]);
    },
    /** The turn's messages, all or none, creating the session on its first turn. */
    async append(org: string, id: string, messages: StoredMessage[]): Promise<void> {
      await store.transaction(async (tx) => {
        await tx.query('INSERT INTO assistant_sessions (org, id) VALUES ($1, $2) ON CONFLICT (org, id) DO UPDATE SET updated_at = now()', [org, id]);
        for (const m of messages) await tx.query('INSERT INTO assistant_messages (org, session_id, role, content) VALUES ($1, $2, $3, $4)', [org, id, m.role, m.content]);
      });
    },
    async list(org: string): Promise<SessionInfo[]> {
      const rows = await store.query<{ id: string; created_at: unknown; updated_at: unknown; messages: unknown }>(
        `SELECT s.id, s.created_at, s.updated_at, (SELECT count(*) FROM assistant_messages m WHERE m.org = s.org AND m.session_id = s.id) AS messages
         FROM assistant_sessions s WHERE s.org = $1 ORDER BY s.updated_at DESC, s.id`,
        [org],
      );
      return rows.map((r) => ({ id: r.id, createdAt: iso(r.created_at), updatedAt: iso(r.updated_at), messages: Number(r.messages) }));
    },
    /** False when the org has no such session. */
    async clear(org: string, id: string): Promise<boolean> {
      const rows = await store.query<{ id: string }>('DELETE FROM assistant_sessions WHERE org = $1 AND id = $2 RETURNING id', [org, id]);
      return rows.length > 0;
    },
    async saveArtifact(org: string, a: { kind: string; model: string; content: unknown }): Promise<string> {
      const id = randomUUID();
      await store.query('INSERT INTO assistant_artifacts (org, id, kind, model, content) VALUES ($1, $2, $3, $4, $5::jsonb)', [org, id, a.kind, a.model, JSON.stringify(a.content)]);
      return id;
    },
    async artifact(org: string, id: string): Promise<{ id: string; kind: string; model: string; content: unknown; createdAt: string } | undefined> {
      const [row] = await store.query<{ id: string; kind: string; model: string; content: unknown; created_at: unknown }>('SELECT * FROM assistant_artifacts WHERE org = $1 AND id = $2', [org, id]);
      return row && { id: row.id, kind: row.kind, model: row.model, content: row.content, createdAt: iso(row.created_at) };
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
