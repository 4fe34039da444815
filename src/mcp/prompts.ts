import { apiPath, ApiError, type ApiClient } from '../cli/client.ts';
import { formatDetail, type ErrorDetail } from '../errors/index.ts';
import { listStacks, type StackView } from './stacks.ts';

export interface PromptDef {
  name: string;
  description: string;
  arguments: { name: string; description: string; required: boolean }[];
  /** The prompt text, built from the org's state as the API reports it. */
  text(api: ApiClient, org: string, args: Record<string, string>): Promise<string>;
}

interface Summary {
  revision?: string;
  resources: { total: number; byKind: Record<string, number> };
  lastSyncRun: { outcome: string; revision: string; errors: ErrorDetail[] } | null;
  configErrors: ErrorDetail[];
}

interface ControllerModel {
  sync: { state: string; message?: string };
  organizations: { resources: Record<string, { name: string; source: string; syncStatus: string; health: string }[]> }[];
}

const SETUP_KINDS: [string, string, string][] = [
  ['Repository', 'repositories', 'the Git repositories agents and pipelines work on'],
  ['Team', 'teams', 'who may act on what'],
  ['AgentServiceAccount', 'agentserviceaccounts', 'the runtime identity an agent Job runs as'],
  ['AgentProviderConfig', 'agentproviderconfigs', 'the model provider, its default model and the Secret holding its key (credentialRef)'],
  ['AgentSecretGrant', 'agentsecretgrants', 'grants the identity read access to the provider Secret'],
  ['AgentAdapter', 'agentadapters', 'how the agent is driven'],
  ['AgentStack', 'agentstacks', 'ties base agent, adapter, identity, provider and tools together'],
  ['RunnerPool', 'runnerpools', 'warm CI runners'],
  ['KradleWorkspace', 'kradleworkspaces', 'a persistent volume for agent work'],
];

const summaryOf = async (api: ApiClient, org: string) => (await api.request<Summary>('GET', apiPath`/api/orgs/${org}/summary`)).body;
const conditionLine = (c: StackView['conditions'][number]) => `${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;

/** Runs in Failed; an API without the agent routes (404) has none to show. */
async function failedRuns(api: ApiClient, org: string): Promise<{ name: string; stack: string; error: string }[]> {
  try {
    const { body } = await api.request<{ items: { metadata: { name: string }; status: Record<string, unknown> }[] }>('GET', apiPath`/api/orgs/${org}/agents/runs`, { query: { limit: 500 } });
    return body.items.filter((r) => r.status.phase === 'Failed').map((r) => ({ name: r.metadata.name, stack: String(r.status.stackRef ?? '-'), error: String(r.status.lastError ?? r.status.reason ?? 'no error recorded') }));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

async function workspaceSetup(api: ApiClient, org: string): Promise<string> {
  const s = await summaryOf(api, org);
  const lines = [`Set up a Kradle workspace for org ${org} (revision ${s.revision ?? 'not yet synced'}, ${s.resources.total} resources).`, '', 'Declared so far:'];
  for (const [kind, plural, why] of SETUP_KINDS) {
    const n = s.resources.byKind[kind] ?? 0;
    lines.push(`- ${kind}: ${n ? `${n} declared` : `none yet; add orgs/${org}/${plural}/<name>.yaml (${why})`}`);
  }
  lines.push('', 'Each document names its org with spec.organizationRef and is written with kradle_apply_resource (a commit on the config repo).',
    'Secrets are referenced by name only: create the Secret in the cluster, then grant it with kradle_create_secret; never put a value in a resource.',
    'Check the result with kradle_list_stacks (readiness) and the kradle_troubleshoot prompt.');
  return lines.join('\n');
}

async function stackConfig(api: ApiClient, org: string, args: Record<string, string>): Promise<string> {
  const stacks = await listStacks(api, org);
  const wanted = args.stack ? stacks.filter((s) => s.name === args.stack) : stacks;
  if (args.stack && !wanted.length) {
    return `Org ${org} has no AgentStack ${args.stack}. Existing stacks: ${stacks.map((s) => s.name).join(', ') || 'none'}.\nCreate it with kradle_create_stack {name, org, baseAgent, adapter, runtimeIdentity, providerConfig}.`;
  }
  const lines = [`Help configure the agent stacks of org ${org}. A stack is Ready when every condition of spec §10 is True.`];
  if (!wanted.length) lines.push('', 'The org has no stack yet: create one with kradle_create_stack (baseAgent, adapter, runtimeIdentity and providerConfig are required references).');
  for (const s of wanted) {
    lines.push('', `Stack ${s.name}: Ready=${s.ready}; base agent ${String(s.baseAgent ?? '-')}, model ${String(s.model ?? 'provider default')}`);
    const failing = s.conditions.filter((c) => c.status !== 'True');
    if (!s.conditions.length) lines.push('  no readiness reported yet (the controller has not reconciled it)');
    for (const c of failing) lines.push(`  to fix: ${conditionLine(c)}`);
    if (s.conditions.length && !failing.length) lines.push('  every condition is True');
  }
  return lines.join('\n');
}

async function troubleshoot(api: ApiClient, org: string): Promise<string> {
  const s = await summaryOf(api, org);
  const model = (await api.request<ControllerModel>('GET', '/api/controller', { query: { org } })).body;
  const lines = [`Diagnose org ${org}. Sync: ${model.sync.state}${model.sync.message ? ` (${model.sync.message})` : ''}; revision ${s.revision ?? 'none'}.`];
  const errors = [...s.configErrors, ...(s.lastSyncRun?.errors ?? [])];
  const seen = new Set<string>();
  const unique = errors.filter((e) => !seen.has(formatDetail(e)) && seen.add(formatDetail(e)));
  lines.push('', unique.length ? `Last validation errors (${unique.length}):` : 'Last validation errors: none.');
  for (const e of unique) lines.push(`- ${formatDetail(e)}`);
  const unhealthy = Object.entries(model.organizations[0]?.resources ?? {}).flatMap(([kind, rows]) => rows.filter((r) => r.syncStatus === 'SyncFailed' || r.syncStatus === 'OutOfSync' || r.health === 'Degraded' || r.health === 'Missing').map((r) => `- ${kind}/${r.name} (${r.source}): sync ${r.syncStatus}, health ${r.health}`));
  lines.push('', unhealthy.length ? 'Resources not synced or not healthy:' : 'Every applied resource is synced and healthy.', ...unhealthy);
  const failing = (await listStacks(api, org)).flatMap((st) => st.conditions.filter((c) => c.status === 'False').map((c) => `- AgentStack/${st.name}: ${conditionLine(c)}`));
  lines.push('', failing.length ? 'Failing conditions:' : 'Failing conditions: none.', ...failing);
  const runs = await failedRuns(api, org);
  lines.push('', runs.length ? `Agent runs in Failed (${runs.length}):` : 'Agent runs in Failed: none.', ...runs.map((r) => `- ${r.name} (stack ${r.stack}): ${r.error}`));
  lines.push('', 'Fix validation errors at the positions given, then check again with kradle_list_stacks and kradle_get_resource.');
  return lines.join('\n');
}

/** The 3 prompts of spec §5.2. */
export const PROMPTS: PromptDef[] = [
  { name: 'kradle_workspace_setup', description: 'Guide for setting up a new kradle workspace, from what the org declares today', arguments: [], text: workspaceSetup },
  { name: 'kradle_stack_config', description: 'Help configuring an agent stack: its readiness conditions and what to fix', arguments: [{ name: 'stack', description: 'AgentStack name (all stacks when absent)', required: false }], text: stackConfig },
  { name: 'kradle_troubleshoot', description: 'Diagnose common kradle issues: failing conditions, last validation errors with positions, runs in Failed', arguments: [], text: troubleshoot },
];
