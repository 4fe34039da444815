import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';

export type Role = 'admin' | 'writer' | 'reader';
export const ROLES: readonly Role[] = ['admin', 'writer', 'reader'];
/** The org of a platform token: it may act on every org and on cross-org routes. */
export const PLATFORM_ORG = '*';

/** Who called: resolved from the bearer token; never holds the token itself. */
export interface Principal {
  tokenId: string;
  org: string;
  role: Role;
  subject: string;
  /** When the token stops being valid (RFC 3339); absent: it never expires. */
  expiresAt?: string;
}

/** A bearer token or a browser session; never holds the token or cookie text. */
export interface Credential {
  kind: 'bearer' | 'session';
  sessionId?: string;
  /** What unsafe session requests must send as X-CSRF-Token. */
  csrfToken?: string;
  expiresAt?: string;
  /** False once the token or session was revoked or expired. */
  stillValid(): Promise<boolean>;
}

export interface ApiState {
  requestId: string;
  log: Logger;
  principal?: Principal;
  /** How the principal was established (set by the auth middleware); long-lived streams re-check it. */
  credential?: Credential;
  /** Route template, for metrics and logs (never the raw path with ids in it). */
  route?: string;
  /** Parsed JSON body, set by readJson. */
  body?: unknown;
  rawBody?: Buffer;
}

export type ApiContext = ParameterizedContext<ApiState> & { params: Record<string, string> };

/**
 * How a route is guarded:
 * public: no token; any: any valid token; org-read / org-write: a role on the `:org` of the path
 * (writer or admin to write); platform-read / platform-write: a platform token (org `*`);
 * hmac: the route verifies its own signature (inbound webhooks).
 */
export type AuthRule = 'public' | 'any' | 'org-read' | 'org-write' | 'platform-read' | 'platform-write' | 'hmac';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteDef {
  method: HttpMethod;
  /** Koa router path, `:param` segments. */
  path: string;
  auth: AuthRule;
  summary: string;
  /**
   * An org-read GET route, and any route under `/api/orgs/:org/` whose auth is `any` (the agent and runner routes),
   * answers 404 for an org the loaded revision does not declare (checked before the handler); true when the route
   * reads or acts on only the store's runtime records, events or audit, which an org may hold before it is declared.
   */
  runtimeOnly?: boolean;
  handler(ctx: ApiContext): Promise<void>;
}
