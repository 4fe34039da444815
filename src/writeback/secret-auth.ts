import { BadRequestError, WaitingError } from '../errors/index.ts';
import type { RemoteAuth } from './types.ts';

/** Reads one key of a Secret in the org's tenant namespace (the cluster driver, or a test reader). */
export type SecretReader = (org: string, name: string, key: string) => Promise<string | undefined>;

/** A config resource that names a remote Git repository: `label` (`Kind org/name`) is what messages show. */
export interface RemoteRepoOwner {
  label: string;
  org: string;
}

function refParts(ref: unknown): { name?: string; key?: string } {
  if (typeof ref === 'string') return { name: ref || undefined };
  if (!ref || typeof ref !== 'object') return {};
  const { name, key } = ref as { name?: unknown; key?: unknown };
  return { name: typeof name === 'string' ? name : undefined, key: typeof key === 'string' ? key : undefined };
}

/** The clean URL of a remote repository; credentials in the URL are refused (they belong in a Secret). */
export function cleanRemoteUrl(owner: RemoteRepoOwner, location: string, refField: string): string {
  const url = new URL(location);
  if (url.username || url.password) throw new BadRequestError(`${owner.label}: put credentials in a Secret named by ${refField}, not in the URL`);
  return url.toString().replace(/\/$/, '');
}

/**
 * The credentials a Secret reference (`{name, key?}` or a name) holds: key `token` (or the given key) as a
 * bearer token, else `username` and `password`. Read at each use, so a rotated Secret takes effect at once.
 */
export async function secretAuth(owner: RemoteRepoOwner, ref: unknown, secrets: SecretReader | undefined): Promise<RemoteAuth | undefined> {
  const { name, key } = refParts(ref);
  if (!name) return undefined;
  if (!secrets) throw new WaitingError(`${owner.label}: no secret reader is configured to read Secret ${name}`);
  const token = await secrets(owner.org, name, key ?? 'token');
  if (token) return { token };
  const [username, password] = await Promise.all([secrets(owner.org, name, 'username'), secrets(owner.org, name, 'password')]);
  if (username && password) return { username, password };
  throw new WaitingError(`${owner.label}: Secret ${name} has no ${key ?? 'token'} key (nor username and password)`);
}
