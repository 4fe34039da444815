/** One write to an external backend, as an approved ExternalWriteIntent asks for it. */
export interface ProviderWrite {
  operation: 'create' | 'update' | 'delete';
  /** The Kradle kind of the resource written (Issue, PullRequest). */
  kind: string;
  /** The provider's id of the object (an issue number) for update and delete. */
  externalId?: string;
  /** The fields to send, in the provider's terms. */
  payload: Record<string, unknown>;
  /** `owner/name` of the provider repository the object lives in. */
  repository: string;
}

/** Where and as whom: the provider's API base URL and its token (never logged or stored). */
export interface ProviderConnection {
  endpoint: string;
  token?: string;
  fetch: typeof fetch;
  /** Per-request deadline; 30 s by default. */
  timeoutMs?: number;
}

/** What an attempt did: sent (with the provider's id of the object) or failed, retryable or not. */
export type SendResult =
  | { ok: true; status: number; externalId?: string }
  | { ok: false; status?: number; retryable: boolean; error: string };

export interface ProviderAdapter {
  readonly type: string;
  send(write: ProviderWrite, conn: ProviderConnection): Promise<SendResult>;
}
