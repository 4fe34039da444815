/** The body of `POST .../external/sync` (without bindingName) an inbound provider event stands for. */
export interface InboundChange {
  kind: string;
  localName: string;
  spec: Record<string, unknown>;
  externalEnvelope: { id: string; version: string | number };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** GitHub's and Gitea's `issues` event: the issue as it is now, versioned by its update time. */
function issueChange(payload: Record<string, unknown>): InboundChange | undefined {
  const issue = payload.issue;
  if (!isObject(issue) || issue.number === undefined) return undefined;
  const spec = { title: String(issue.title ?? ''), body: String(issue.body ?? ''), state: String(issue.state ?? 'open') };
  return { kind: 'Issue', localName: `issue-${String(issue.number)}`, spec, externalEnvelope: { id: String(issue.number), version: String(issue.updated_at ?? '') } };
}

/**
 * What an inbound webhook changes: a body already in Kradle's sync shape (`{kind, localName, spec,
 * externalEnvelope}`, any provider), or a forge `issues` event; undefined for events Kradle does not sync.
 */
export function inboundChange(event: string, payload: unknown): InboundChange | Record<string, unknown> | undefined {
  if (!isObject(payload)) return undefined;
  if (typeof payload.kind === 'string' && isObject(payload.externalEnvelope)) return payload;
  if (event === 'issues') return issueChange(payload);
  return undefined;
}
