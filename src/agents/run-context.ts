import { canonicalJson } from '../loader/hash.ts';
import type { DesiredState } from '../loader/types.ts';
import { createHash } from 'node:crypto';
import { desiredSpec, orgResources, refList, refName } from './refs.ts';

/** Where the run-context file is mounted in the agent container. */
export const RUN_CONTEXT_DIR = '/var/run/kradle';
export const RUN_CONTEXT_FILE = 'run-context.json';
export const RUN_CONTEXT_VERSION = 'kradle.a5c.ai/run-context/v1';

/** A credential the agent receives: an environment variable filled by Kubernetes from a granted Secret key. */
export interface CredentialRef {
  env: string;
  secret: string;
  key: string;
  purpose: string;
}

export interface RunContextInput {
  org: string;
  run: string;
  attempt: number;
  taskKind: string;
  requestedBy: string;
  stackName: string;
  repository: unknown;
  sourceRefs: unknown[];
  commit?: string;
  callbackUrl: string;
  stepsUrl: string;
  session: string;
  transport: { protocol: string; codec: string; endpoint?: string };
  /** The AgentMemorySnapshot pinned for this attempt, when the stack names a memory repository. */
  memory?: { repository: string; snapshot?: string; commit?: string; ref?: string; error?: string };
}

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** `refs/heads/x` and `x` name a ref; a full object id is a commit. */
export function refAndCommit(sourceRefs: unknown[], commit?: string): { ref?: string; commit?: string } {
  const first = sourceRefs.map((r) => (typeof r === 'string' ? r : refName(r))).find((r): r is string => !!r);
  if (first && COMMIT.test(first)) return { commit: commit ?? first };
  return { ref: first, ...(commit ? { commit } : {}) };
}

function envName(...parts: string[]): string {
  return parts.join('_').toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * Secret keys the run's identity is granted (AgentSecretGrant subject = identity or its SA name), as
 * secretKeyRefs: the provider credential, the repository credential and the stack's secretRefs. A Secret with
 * no grant is left out: readiness already refused stacks that need one.
 */
export function grantedCredentials(state: DesiredState, org: string, stack: Record<string, unknown>, repository: Record<string, unknown> | undefined): CredentialRef[] {
  const identity = refName(stack.runtimeIdentity) ?? '';
  const sa = desiredSpec(state, 'AgentServiceAccount', org, identity);
  const grants = orgResources(state, org, 'AgentSecretGrant').map((g) => g.object.spec)
    .filter((g) => [identity, sa?.serviceAccountName].includes(refName(g.subject)));
  const keysOf = (secret: string): string[] | undefined => {
    const g = grants.filter((x) => refName(x.secretRef) === secret);
    if (!g.length) return undefined;
    const keys = g.flatMap((x) => (Array.isArray(x.keys) ? x.keys.map(String) : []));
    return keys;
  };
  const out: CredentialRef[] = [];
  const add = (ref: unknown, env: string, purpose: string, fallbackKey: string) => {
    const secret = refName(ref);
    if (!secret) return;
    const granted = keysOf(secret);
    if (!granted) return;
    const key = ref && typeof ref === 'object' && typeof (ref as { key?: unknown }).key === 'string' ? (ref as { key: string }).key : granted[0] ?? fallbackKey;
    // A grant listing keys admits only those keys.
    if (granted.length && !granted.includes(key)) return;
    out.push({ env, secret, key, purpose });
  };
  const provider = desiredSpec(state, 'AgentProviderConfig', org, refName(stack.providerConfig));
  if (provider) add(provider.credentialRef ?? provider.secretRef, 'KRADLE_PROVIDER_CREDENTIAL', 'model provider', 'apiKey');
  if (repository) add(repository.credentialRef, 'KRADLE_GIT_TOKEN', 'repository clone and push', 'token');
  for (const s of Array.isArray(stack.secretRefs) ? stack.secretRefs : []) {
    const secret = refName(s);
    if (!secret) continue;
    for (const key of keysOf(secret) ?? []) {
      if (!out.some((c) => c.secret === secret && c.key === key)) out.push({ env: envName('KRADLE_SECRET', secret, key), secret, key, purpose: `stack secret ${secret}` });
    }
  }
  return out;
}

/** What a secret-access approval covers: which Secret keys reach which variables. */
export function credentialsDigest(creds: CredentialRef[]): string {
  return `sha256:${createHash('sha256').update(canonicalJson(creds.map((c) => [c.env, c.secret, c.key]))).digest('hex')}`;
}

function named(state: DesiredState, org: string, kind: string, names: string[], pick: (spec: Record<string, unknown>) => Record<string, unknown>): ({ name: string } & Record<string, unknown>)[] {
  return names.map((name) => ({ ...pick(desiredSpec(state, kind, org, name) ?? {}), name }));
}

const only = (spec: Record<string, unknown>, fields: string[]) => Object.fromEntries(fields.filter((f) => spec[f] !== undefined).map((f) => [f, spec[f]]));

/**
 * The run contract's context file: everything an agent needs to do the run's work, from the dispatch request
 * and the desired state. It holds names of Secrets (in `credentials`), never their values.
 */
export function buildRunContext(state: DesiredState, input: RunContextInput): Record<string, unknown> {
  const { org } = input;
  const stack = desiredSpec(state, 'AgentStack', org, input.stackName) ?? {};
  const repoName = refName(input.repository);
  const repo = desiredSpec(state, 'Repository', org, repoName);
  const labels = named(state, org, 'AgentContextLabel', refList(stack.contextLabels), (s) => only(s, ['promptFragment', 'allowedSources']));
  const subagents = named(state, org, 'AgentSubagent', refList(stack.subagents), (s) => only(s, ['rolePrompt', 'taskKinds', 'model']));
  const persona = typeof stack.persona === 'string' ? stack.persona : undefined;
  const prompt = [persona, stack.systemPrompt, stack.prompt, ...labels.map((l) => l.promptFragment)].filter((p): p is string => typeof p === 'string' && !!p).join('\n\n');
  const provider = desiredSpec(state, 'AgentProviderConfig', org, refName(stack.providerConfig));
  const gateway = orgResources(state, org, 'AgentGatewayConfig')[0];
  const sources = [...new Set([...input.sourceRefs.map((r) => (typeof r === 'string' ? r : refName(r))).filter((r): r is string => !!r), ...labels.flatMap((l) => (Array.isArray(l.allowedSources) ? l.allowedSources.map(String) : []))])];
  const bundle = { sources, labels: labels.map((l) => l.name) };
  const toolProfile = refName(stack.toolProfile);
  return {
    apiVersion: RUN_CONTEXT_VERSION,
    org, run: input.run, attempt: input.attempt, taskKind: input.taskKind, requestedBy: input.requestedBy, session: input.session,
    repository: {
      name: repoName,
      cloneUrl: typeof repo?.cloneUrl === 'string' ? repo.cloneUrl : typeof repo?.url === 'string' ? repo.url : null,
      defaultBranch: repo?.defaultBranch ?? null,
      ...refAndCommit(input.sourceRefs, input.commit),
      sourceRefs: input.sourceRefs,
    },
    stack: { name: input.stackName, baseAgent: stack.baseAgent ?? null, persona: persona ?? null, prompt },
    toolProfile: toolProfile ? { name: toolProfile, ...only(desiredSpec(state, 'AgentToolProfile', org, toolProfile) ?? {}, ['filesystemPolicy', 'approvalPolicyByTool', 'allowedTools', 'deniedTools']) } : null,
    mcpServers: named(state, org, 'AgentMcpServer', refList(stack.mcpServers), (s) => only(s, ['transport', 'scope', 'endpoint', 'url', 'command', 'args'])),
    skills: named(state, org, 'AgentSkill', refList(stack.skills), (s) => only(s, ['format', 'sourceRef', 'description'])),
    subagents,
    contextLabels: labels,
    contextBundle: { ...bundle, digest: `sha256:${createHash('sha256').update(canonicalJson(bundle)).digest('hex')}` },
    model: {
      provider: provider?.provider ?? null,
      providerConfig: refName(stack.providerConfig) ?? null,
      model: stack.model ?? provider?.defaultModel ?? null,
      gatewayUrl: gateway?.object.spec.gatewayUrl ?? null,
      transport: input.transport,
    },
    memory: input.memory ?? null,
    callback: { url: input.callbackUrl, stepsUrl: input.stepsUrl, tokenEnv: 'KRADLE_RUN_TOKEN' },
    workspace: { path: '/workspace' },
    credentials: grantedCredentials(state, org, stack, repo),
  };
}
