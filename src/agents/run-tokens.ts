import { createHash, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/types.ts';
import type { RandomSource } from './refs.ts';

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** Issues the run's callback token; only its hash is kept. Re-issuing (a new attempt) replaces the old one. */
export async function issueRunToken(store: Pick<Store, 'query'>, org: string, run: string, random: RandomSource): Promise<string> {
  const token = `krt_${random(32).toString('base64url')}`;
  await store.query(
    `INSERT INTO agent_run_tokens (org, run, token_hash) VALUES ($1, $2, $3)
     ON CONFLICT (org, run) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()`,
    [org, run, hash(token)],
  );
  return token;
}

/** Constant-time check of a presented token against the stored hash. */
export async function verifyRunToken(store: Pick<Store, 'query'>, org: string, run: string, token: string | undefined): Promise<boolean> {
  if (!token) return false;
  const [row] = await store.query<{ token_hash: string }>('SELECT token_hash FROM agent_run_tokens WHERE org = $1 AND run = $2', [org, run]);
  if (!row) return false;
  const a = Buffer.from(row.token_hash, 'hex');
  const b = Buffer.from(hash(token), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
