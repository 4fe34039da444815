// Builds desired states for agent tests through the real loader, from YAML written in the test.
import { createHash } from 'node:crypto';
import { createLoader } from '../../src/loader/index.ts';
import type { DesiredState } from '../../src/loader/index.ts';

export async function loadState(files: Record<string, string>, revision = 'rev-1'): Promise<DesiredState> {
  const blobs = new Map<string, Uint8Array>();
  const list = Object.entries(files).map(([path, text]) => {
    const oid = createHash('sha1').update(`${path}\0${text}`).digest('hex');
    blobs.set(oid, Buffer.from(text));
    return { path, oid };
  });
  const result = await createLoader().load({ revision, files: list, readBlob: async (oid) => blobs.get(oid)! });
  if (!result.ok) throw new Error(`test config does not load:\n${result.errors.map((e) => `${e.path}:${e.line}: ${e.code} ${e.message}`).join('\n')}`);
  return result.state;
}

const doc = (kind: string, name: string, spec: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind, metadata: { name }, spec });

export interface OrgOptions {
  /** Leave out the AgentSecretGrant of the provider Secret. */
  withoutSecretGrant?: boolean;
  requiresApproval?: boolean;
  budgetLimitUsd?: number;
  extra?: string[];
  /** The org's namespace (spec.namespaceName); `kradle-org-<org>` by default. */
  namespace?: string;
}

/** A complete org: a stack whose identity, role binding, provider Secret grant, adapter and transport exist. */
export function orgFiles(org: string, opts: OrgOptions = {}): Record<string, string> {
  const ns = opts.namespace ?? `kradle-org-${org}`;
  const docs = [
    JSON.stringify({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Organization', metadata: { name: org }, spec: { displayName: org, namespaceName: ns, ...(opts.budgetLimitUsd !== undefined ? { budgetLimitUsd: opts.budgetLimitUsd } : {}) } }),
    doc('AgentServiceAccount', 'fixer-bot', { organizationRef: org, namespace: ns, serviceAccountName: 'fixer-bot' }),
    doc('AgentRoleBinding', 'fixer-bot-edit', { organizationRef: org, subject: 'fixer-bot', roleRef: { name: 'edit' }, scope: 'namespace' }),
    doc('AgentProviderConfig', 'anthropic', { organizationRef: org, provider: 'anthropic', authType: 'api-key', credentialRef: { name: 'anthropic-key', key: 'apiKey' } }),
    doc('AgentAdapter', 'mux', { organizationRef: org, adapterType: 'agent-mux', transport: 'websocket' }),
    doc('AgentTransportBinding', 'mux-gw', { organizationRef: org, adapterRef: 'mux', endpoint: 'wss://mux.example/v1', protocol: 'websocket', codec: 'msgpack' }),
    doc('AgentStack', 'fixer', {
      organizationRef: org, baseAgent: 'claude-code', model: 'claude-sonnet', adapter: 'mux', runtimeIdentity: 'fixer-bot',
      providerConfig: 'anthropic', ...(opts.requiresApproval ? { requiresApproval: true } : {}),
    }),
    doc('User', 'carol', { organizationRef: org, displayName: 'Carol', email: 'carol@example.com' }),
    doc('User', 'dana', { organizationRef: org, displayName: 'Dana', email: 'dana@example.com' }),
    doc('Repository', 'api', { organizationRef: org, visibility: 'private' }),
    doc('Team', 'approvers', { organizationRef: org, displayName: 'Approvers', members: ['carol'], maintainers: ['dana'] }),
    doc('AgentTriggerRule', 'fix-ci', { organizationRef: org, sources: ['pipeline-failure'], agentStack: 'fixer', taskKind: 'fix', repository: 'api' }),
    doc('AgentTriggerRule', 'on-comment', { organizationRef: org, sources: ['comment'], agentStack: 'fixer', taskKind: 'fix', commentTrigger: { prefix: '/kradle' } }),
    ...(opts.withoutSecretGrant ? [] : [doc('AgentSecretGrant', 'fixer-anthropic', { organizationRef: org, subject: 'fixer-bot', secretRef: { name: 'anthropic-key' }, keys: ['apiKey'], purpose: 'model calls' })]),
    ...(opts.extra ?? []),
  ];
  return { [`orgs/${org}/all.yaml`]: docs.join('\n---\n') };
}

export { doc };

export const MEMORY_ONTOLOGY = 'requiredFields: [id, kind]\nedgeKinds: [depends-on, owns]\nvocabulary: [service, team, incident]\n';

/** The documents of a memory repository `brain` (Repository company-brain) with its ontology, for `extra`. */
export function memoryDocs(org: string): string[] {
  return [
    doc('Repository', 'company-brain', { organizationRef: org, visibility: 'private' }),
    doc('AgentMemoryRepository', 'brain', { organizationRef: org, repositoryRef: 'company-brain', defaultBranch: 'main', layoutProfile: 'company-brain-v1' }),
    doc('AgentMemoryOntology', 'brain-ontology', { organizationRef: org, memoryRepository: 'brain', ontologyPath: '.company-brain/ontology/schema.yaml' }),
  ];
}
