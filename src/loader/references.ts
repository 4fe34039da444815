/**
 * Every reference between config documents that the spec implies, in one table.
 * `field` is a dot path below `spec`; `[]` marks a list of references. `target` lists the kinds a
 * reference may name, 'cluster' a Secret/ConfigMap/Role that lives in the cluster (only its shape and
 * namespace are checked: its value never enters the config repo), 'any' a typed `{kind, name}` ref.
 * A reference is a name, `org/name`, or `{name, namespace?, kind?}`; it resolves in the referring
 * document's org (PolicyTemplate also among platform templates); into another org it is denied.
 */
export interface ReferenceRule {
  kind: string;
  field: string;
  target: readonly string[] | 'cluster' | 'any';
}

const r = (kind: string, field: string, target: ReferenceRule['target']): ReferenceRule => ({ kind, field, target });
const SUBJECTS = ['User', 'Team', 'AgentServiceAccount'];

export const REFERENCES: readonly ReferenceRule[] = [
  // Every org-scoped kind: checked first, by org scoping (MISSING_ORG), not by the generic resolver.
  r('*', 'organizationRef', ['Organization']),
  // identity
  r('Team', 'members[]', ['User']),
  r('Team', 'maintainers[]', ['User']),
  r('Invite', 'teams[]', ['Team']),
  r('IdentityMapping', 'user', ['User']),
  r('AgentRoleBinding', 'subject', ['AgentServiceAccount']),
  r('AgentRoleBinding', 'roleRef', 'cluster'),
  r('AgentSecretGrant', 'subject', ['AgentServiceAccount']),
  r('AgentSecretGrant', 'secretRef', 'cluster'),
  r('AgentConfigGrant', 'subject', ['AgentServiceAccount']),
  r('AgentConfigGrant', 'configMapRef', 'cluster'),
  // data plane and control plane
  r('RepositoryPermission', 'repository', ['Repository']),
  r('RepositoryPermission', 'subject', SUBJECTS),
  r('BranchProtection', 'repository', ['Repository']),
  r('RefPolicy', 'repository', ['Repository']),
  // policy
  r('PolicyProfile', 'defaultTemplates[]', ['PolicyTemplate']),
  r('PolicyBinding', 'templateRef', ['PolicyTemplate']),
  r('PolicyBinding', 'repository', ['Repository']),
  r('PolicyExceptionRequest', 'policyRef', ['PolicyBinding']),
  // hooks, web UI
  r('WebhookSubscription', 'secretRef', 'cluster'),
  r('View', 'selector', ['Selector']),
  // agents
  r('AgentStack', 'adapter', ['AgentAdapter']),
  r('AgentStack', 'runtimeIdentity', ['AgentServiceAccount']),
  r('AgentStack', 'toolProfile', ['AgentToolProfile']),
  r('AgentStack', 'mcpServers[]', ['AgentMcpServer']),
  r('AgentStack', 'skills[]', ['AgentSkill']),
  r('AgentStack', 'subagents[]', ['AgentSubagent']),
  r('AgentStack', 'contextLabels[]', ['AgentContextLabel']),
  r('AgentStack', 'providerConfig', ['AgentProviderConfig']),
  r('AgentStack', 'workspacePolicy', ['KradleWorkspacePolicy']),
  r('AgentStack', 'memoryRepository', ['AgentMemoryRepository']),
  r('AgentSubagent', 'toolProfile', ['AgentToolProfile']),
  r('AgentMcpServer', 'secretRef', 'cluster'),
  r('AgentMcpServer', 'configMapRef', 'cluster'),
  r('AgentTriggerRule', 'agentStack', ['AgentStack']),
  r('AgentTriggerRule', 'repository', ['Repository']),
  r('AgentTriggerRule', 'contextLabels[]', ['AgentContextLabel']),
  r('AgentTransportBinding', 'adapterRef', ['AgentAdapter']),
  r('AgentTransportBinding', 'credentialRef', 'cluster'),
  r('AgentProviderConfig', 'credentialRef', 'cluster'),
  r('AgentProviderConfig', 'secretRef', 'cluster'),
  r('AgentGatewayConfig', 'credentialRef', 'cluster'),
  r('KradleProject', 'repositories[]', ['Repository']),
  r('AgentMemoryRepository', 'repositoryRef', ['Repository']),
  r('AgentMemorySource', 'repositoryRef', ['AgentMemoryRepository']),
  r('AgentMemoryOntology', 'memoryRepository', ['AgentMemoryRepository']),
  r('AgentMemoryAssociation', 'memoryRef', ['AgentMemoryRepository']),
  r('AgentMemoryAssociation', 'targetRef', 'any'),
  // workspaces
  r('KradleWorkspace', 'repository', ['Repository']),
  r('KradleWorkspace', 'policyRef', ['KradleWorkspacePolicy']),
  // external backends
  r('ExternalBackendBinding', 'providerRef', ['ExternalBackendProvider']),
  r('ExternalBackendBinding', 'credentialRef', 'cluster'),
  r('ExternalBackendSyncPolicy', 'providerRef', ['ExternalBackendProvider']),
  r('ExternalProviderCapabilityManifest', 'providerRef', ['ExternalBackendProvider']),
  r('ExternalBackendProvider', 'credentialRef', 'cluster'),
  // inference
  r('KradleInferenceService', 'predictor.model.runtime', ['KradleServingRuntime']),
  // artifacts
  r('ArtifactRegistry', 'storageConfig.connectionSecret', 'cluster'),
  r('ArtifactRegistry', 'externalIntegration.connectionSecret', 'cluster'),
  r('ArtifactFeed', 'registryRef', ['ArtifactRegistry']),
  r('ArtifactAccessPolicy', 'feedRef', ['ArtifactFeed']),
  r('ArtifactAccessPolicy', 'subject', SUBJECTS),
];

const BY_KIND = new Map<string, ReferenceRule[]>();
for (const rule of REFERENCES) {
  if (rule.kind === '*') continue;
  BY_KIND.set(rule.kind, [...(BY_KIND.get(rule.kind) ?? []), rule]);
}

/** The reference rules that apply to a kind (organizationRef excepted: org scoping checks it). */
export function referencesOf(kind: string): readonly ReferenceRule[] {
  return BY_KIND.get(kind) ?? [];
}

/** A reference value found in a document: where it is (a JSON pointer) and what it says. */
export interface FoundRef {
  pointer: string;
  value: unknown;
}

/** Every value a rule's field path reaches in a spec (lists expanded). */
export function findRefs(spec: Record<string, unknown>, field: string): FoundRef[] {
  let found: FoundRef[] = [{ pointer: '/spec', value: spec }];
  for (const segment of field.split('.')) {
    const isList = segment.endsWith('[]');
    const key = isList ? segment.slice(0, -2) : segment;
    const next: FoundRef[] = [];
    for (const f of found) {
      if (f.value === null || typeof f.value !== 'object' || Array.isArray(f.value)) continue;
      const v = (f.value as Record<string, unknown>)[key];
      if (v === undefined || v === null) continue;
      const pointer = `${f.pointer}/${key}`;
      if (isList && Array.isArray(v)) v.forEach((item, i) => next.push({ pointer: `${pointer}/${i}`, value: item }));
      else next.push({ pointer, value: v });
    }
    found = next;
  }
  return found;
}
