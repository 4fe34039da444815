import { BadRequestError, ForbiddenError, NotFoundError, WaitingError } from '../errors/index.ts';
import type { SecretsPort } from '../api/deps.ts';
import type { DesiredState } from '../loader/types.ts';

/** The model endpoint an org's assistant calls: an OpenAI-compatible chat-completions API. */
export interface ModelTarget {
  /** The AgentProviderConfig it came from. */
  provider: string;
  /** `<apiBase>/chat/completions`. */
  url: string;
  /** The model name the provider knows (after spec.modelTranslations). */
  model: string;
  /** Undefined when spec.authType is none (a local vLLM, Ollama or llama.cpp). */
  key?: string;
  /** spec.allowTools: the model may call Kradle's MCP tools, as the caller. */
  allowTools: boolean;
  timeoutMs?: number;
}

const refOf = (v: unknown): { name?: string; key?: string } =>
  typeof v === 'string' ? { name: v } : v && typeof v === 'object' ? (v as { name?: string; key?: string }) : {};

/** The org's provider: the one asked for, else the one with spec.default: true, else the org's only one. */
function pick(state: DesiredState, org: string, asked?: string) {
  const all = state.byOrg(org).filter((d) => d.id.kind === 'AgentProviderConfig');
  if (asked) {
    const found = all.find((d) => d.id.name === asked);
    if (!found) throw new NotFoundError(`AgentProviderConfig ${asked} not found in org ${org}`);
    return found;
  }
  const defaults = all.filter((d) => d.object.spec.default === true);
  if (defaults.length === 1) return defaults[0]!;
  if (all.length === 1) return all[0]!;
  throw new BadRequestError(all.length ? `org ${org} has ${all.length} AgentProviderConfigs and none is spec.default: name one with provider` : `org ${org} has no AgentProviderConfig for the assistant`, { details: [{ code: 'PROVIDER', message: 'no provider chosen', field: 'provider' }] });
}

/**
 * Resolves the provider, model and key of an assistant call from the org's desired state. The key is read
 * from the Secret of spec.credentialRef (or secretRef) only when an AgentSecretGrant of the org grants it.
 */
export async function resolveModel(state: DesiredState | undefined, secrets: SecretsPort | undefined, org: string, opts: { provider?: string; model?: string }): Promise<ModelTarget> {
  if (!state) throw new WaitingError('no config revision is loaded yet');
  const doc = pick(state, org, opts.provider);
  const spec = doc.object.spec;
  const name = doc.id.name;
  if (typeof spec.apiBase !== 'string' || !/^https?:\/\//.test(spec.apiBase)) {
    throw new WaitingError(`AgentProviderConfig ${name} has no spec.apiBase (an OpenAI-compatible http(s) base URL)`, { details: [{ code: 'PROVIDER_API_BASE', message: 'spec.apiBase is required for the assistant', field: 'spec.apiBase' }] });
  }
  const requested = opts.model ?? (typeof spec.defaultModel === 'string' ? spec.defaultModel : undefined);
  if (!requested) throw new BadRequestError(`no model: pass model or set spec.defaultModel of AgentProviderConfig ${name}`, { details: [{ code: 'MODEL', message: 'model is required', field: 'model' }] });
  const translations = (spec.modelTranslations ?? {}) as Record<string, unknown>;
  const model = typeof translations[requested] === 'string' ? (translations[requested] as string) : requested;
  const target: ModelTarget = {
    provider: name, url: `${spec.apiBase.replace(/\/+$/, '')}/chat/completions`, model, allowTools: spec.allowTools === true,
    timeoutMs: typeof spec.timeoutSeconds === 'number' && spec.timeoutSeconds > 0 ? spec.timeoutSeconds * 1000 : undefined,
  };
  if (spec.authType === 'none') return target;
  const ref = refOf(spec.credentialRef ?? spec.secretRef);
  if (!ref.name) throw new WaitingError(`AgentProviderConfig ${name} names no credentialRef`, { details: [{ code: 'PROVIDER_CREDENTIAL', message: 'spec.credentialRef is required', field: 'spec.credentialRef' }] });
  const granted = state.byOrg(org).some((d) => d.id.kind === 'AgentSecretGrant' && refOf(d.object.spec.secretRef).name === ref.name);
  if (!granted) throw new ForbiddenError(`the Secret ${ref.name} of AgentProviderConfig ${name} has no AgentSecretGrant in org ${org}`, { code: 'SECRET_NOT_GRANTED' });
  if (!secrets) throw new WaitingError('no Secret store is configured on this server');
  const key = await secrets.read(org, ref.name, ref.key ?? 'apiKey');
  if (!key) throw new WaitingError(`the Secret ${ref.name} (key ${ref.key ?? 'apiKey'}) is missing`, { details: [{ code: 'PROVIDER_CREDENTIAL', message: 'Secret or key absent' }] });
  return { ...target, key };
}
