import { BadRequestError } from '../errors/index.ts';
import { apiPath, type ApiClient } from '../cli/client.ts';
import { listStacks } from './stacks.ts';

/** What a tool runs with: an API client carrying the caller's credentials, and the session's org. */
export interface ToolContext {
  api: ApiClient;
  /** The org a tool acts on: its `org` argument, else the session's org; a 400 when neither names one. */
  org(args: Record<string, unknown>): string;
}

export interface ToolDef {
  name: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, unknown>; required?: string[]; additionalProperties?: boolean };
  run(ctx: ToolContext, args: Record<string, unknown>): Promise<unknown>;
}

const str = (description: string) => ({ type: 'string', minLength: 1, description });
const ORG = str("organization slug; defaults to the session's org (the token's org, or ?org= / --org)");

function schema(properties: Record<string, unknown>, required: string[] = []): ToolDef['inputSchema'] {
  return { type: 'object', properties, required, additionalProperties: false };
}

async function body(api: ApiClient, method: string, path: string, init?: Parameters<ApiClient['request']>[2]): Promise<unknown> {
  return (await api.request(method, path, init)).body;
}

/** Case-insensitive match of the query against a resource's kind, name, labels and spec text. */
function matches(resource: Record<string, unknown>, needle: string): boolean {
  const meta = (resource.metadata ?? {}) as Record<string, unknown>;
  const text = JSON.stringify([resource.kind, meta.name, meta.labels, meta.annotations, resource.spec]).toLowerCase();
  return text.includes(needle);
}

/** The 14 tools of spec §5.1; each is one or a few calls of the HTTP API, so its authorization is the API's. */
export const TOOLS: ToolDef[] = [
  {
    name: 'kradle_list_resources', description: 'List the resources of one kind in the org (config kinds from Git, runtime kinds from the store).',
    inputSchema: schema({ kind: str('kind name or plural, e.g. Repository or agentstacks'), org: ORG }, ['kind']),
    run: (c, a) => body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/resources`, { query: { kind: String(a.kind) } }),
  },
  {
    name: 'kradle_get_resource', description: 'Get one resource with its status.',
    inputSchema: schema({ kind: str('kind name or plural'), name: str('resource name'), org: ORG }, ['kind', 'name']),
    run: (c, a) => body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/resources/${String(a.kind)}/${String(a.name)}`),
  },
  {
    name: 'kradle_apply_resource', description: 'Create or update a resource: a config kind becomes a commit on the config repo, a runtime kind a store record.',
    inputSchema: schema({ resource: { type: 'object', description: 'the resource document {kind, metadata: {name}, spec}', required: ['kind', 'metadata'] }, org: ORG }, ['resource']),
    run: (c, a) => body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/resources`, { body: a.resource }),
  },
  {
    name: 'kradle_delete_resource', description: 'Delete a resource (a config kind: a commit removing its document).',
    inputSchema: schema({ kind: str('kind name or plural'), name: str('resource name'), org: ORG }, ['kind', 'name']),
    run: (c, a) => body(c.api, 'DELETE', apiPath`/api/orgs/${c.org(a)}/resources/${String(a.kind)}/${String(a.name)}`),
  },
  {
    name: 'kradle_snapshot', description: "The org's snapshot: config resources of the synced revision and every runtime record.",
    inputSchema: schema({ org: ORG }),
    run: (c, a) => body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/snapshot`),
  },
  {
    name: 'kradle_search', description: "Search the org's resources (config and runtime) by kind, name, labels and spec text.",
    inputSchema: schema({ query: str('text to look for, case-insensitive'), limit: { type: 'integer', minimum: 1, maximum: 500, description: 'at most this many results (50)' }, org: ORG }, ['query']),
    async run(c, a) {
      const snap = (await body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/snapshot`)) as { config: Record<string, unknown>[]; runtime: Record<string, unknown>[] };
      const needle = String(a.query).toLowerCase();
      const hits = [...snap.config.map((r) => ({ r, storage: 'config' })), ...snap.runtime.map((r) => ({ r, storage: 'runtime' }))].filter((h) => matches(h.r, needle));
      const limit = typeof a.limit === 'number' ? a.limit : 50;
      return { total: hits.length, items: hits.slice(0, limit).map(({ r, storage }) => ({ kind: r.kind, name: (r.metadata as { name: string }).name, storage, resource: r })) };
    },
  },
  {
    name: 'kradle_list_stacks', description: 'List the agent stacks of the org with their readiness conditions (spec §10).',
    inputSchema: schema({ org: ORG }),
    run: async (c, a) => ({ items: await listStacks(c.api, c.org(a)) }),
  },
  {
    name: 'kradle_create_stack', description: 'Create an AgentStack (a commit). spec needs baseAgent, adapter and runtimeIdentity unless given as arguments.',
    inputSchema: schema({
      name: str('stack name (DNS-1123 label)'), org: str('organization slug'),
      baseAgent: str('base agent, e.g. claude-code'), adapter: str('AgentAdapter name'), runtimeIdentity: str('AgentServiceAccount name'),
      providerConfig: str('AgentProviderConfig name'), model: str('model name'), spec: { type: 'object', description: 'further AgentStack spec fields' },
    }, ['name', 'org']),
    run(c, a) {
      const given = Object.fromEntries(['baseAgent', 'adapter', 'runtimeIdentity', 'providerConfig', 'model'].filter((k) => a[k] !== undefined).map((k) => [k, a[k]]));
      const resource = { kind: 'AgentStack', metadata: { name: a.name }, spec: { ...(a.spec as object | undefined), ...given } };
      return body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/resources`, { body: resource });
    },
  },
  {
    name: 'kradle_dispatch_agent', description: 'Dispatch an agent run of a stack (an AgentDispatchRun).',
    inputSchema: schema({
      stackRef: str('AgentStack name'),
      repository: str("Repository name; defaults to the only Repository the stack's workspace policy allows, else the org's only Repository"),
      ref: str("git ref, e.g. refs/heads/main; defaults to the Repository's default branch"), taskKind: str('task kind (manual)'), org: ORG,
    }, ['stackRef']),
    run: (c, a) => body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/agents/dispatch`, { body: { stack: a.stackRef, repository: a.repository, ref: a.ref, taskKind: a.taskKind ?? 'manual' } }),
  },
  {
    name: 'kradle_list_secrets', description: 'List the secret grants of the org (references to Secrets, never values).',
    inputSchema: schema({ org: ORG }),
    run: (c, a) => body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/secret-grants`),
  },
  {
    name: 'kradle_create_secret', description: 'Grant an agent identity access to a Secret (an AgentSecretGrant, a commit); never takes a value.',
    inputSchema: schema({
      name: str('grant name (DNS-1123 label)'), org: str('organization slug'), agentRef: str('AgentServiceAccount the grant is for'),
      secretRef: str('name of the Kubernetes Secret'), purpose: str('why the agent needs it (mcp)'), keys: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'keys of the Secret granted' },
    }, ['name', 'org', 'agentRef', 'secretRef']),
    run(c, a) {
      const spec = { subject: a.agentRef, secretRef: a.secretRef, purpose: a.purpose ?? 'mcp', ...(a.keys ? { keys: a.keys } : {}) };
      return body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/secret-grants`, { body: { kind: 'AgentSecretGrant', metadata: { name: a.name }, spec } });
    },
  },
  {
    name: 'kradle_sync_external', description: 'Upsert a resource from an external backend through its binding (spec §11): stale versions ignored, conflicts recorded.',
    inputSchema: schema({
      bindingName: str('ExternalBackendBinding name'), kind: str('kind of the local resource'), localName: str('local resource name'),
      spec: { type: 'object', description: 'the spec as the external backend holds it' },
      externalEnvelope: { type: 'object', description: '{id, version} of the external object', required: ['id', 'version'], properties: { id: { type: 'string' }, version: { type: ['string', 'number'] } } },
      org: ORG,
    }, ['bindingName', 'kind', 'localName', 'spec', 'externalEnvelope']),
    run: (c, a) => body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/external/sync`, { body: { bindingName: a.bindingName, kind: a.kind, localName: a.localName, spec: a.spec, externalEnvelope: a.externalEnvelope } }),
  },
  {
    name: 'kradle_resolve_conflict', description: 'Resolve an open ExternalSyncConflict with a strategy (manual needs resolvedValue).',
    inputSchema: schema({ conflictName: str('ExternalSyncConflict name'), strategy: str('resolution strategy (spec §11.1)'), resolvedValue: { description: 'the value chosen, for strategy manual' }, org: ORG }, ['conflictName', 'strategy']),
    run: (c, a) => body(c.api, 'POST', apiPath`/api/orgs/${c.org(a)}/external/conflicts/${String(a.conflictName)}/resolve`, { body: { strategy: a.strategy, resolvedValue: a.resolvedValue } }),
  },
  {
    name: 'kradle_audit_query', description: "Query the org's audit log (spec §13).",
    inputSchema: schema({
      org: ORG, action: str('action, e.g. apply'), since: str('RFC 3339 timestamp (inclusive)'), until: str('RFC 3339 timestamp (exclusive)'),
      limit: { type: 'integer', minimum: 1, maximum: 10000 }, offset: { type: 'integer', minimum: 0 },
    }),
    run: (c, a) => body(c.api, 'GET', apiPath`/api/orgs/${c.org(a)}/audit`, { query: { action: a.action as string, since: a.since as string, until: a.until as string, limit: a.limit as number, offset: a.offset as number } }),
  },
];

/** The org of a session: a token of one org acts on it; a platform token must be told which (a 400 otherwise). */
export function orgResolver(sessionOrg: string | undefined) {
  return (args: Record<string, unknown>): string => {
    const org = typeof args.org === 'string' ? args.org : sessionOrg;
    if (!org) throw new BadRequestError('no org: pass the org argument, or connect with ?org= (HTTP) or --org / KRADLE_ORG (stdio)', { details: [{ code: 'REQUIRED', message: 'org is required', field: 'org' }] });
    return org;
  };
}
