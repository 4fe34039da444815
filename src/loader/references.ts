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

/** One segment of a field path: its key, whether it is a list, and its pointer when no list comes before it. */
interface Step {
  key: string;
  list: boolean;
  pointer: string;
}

// A rule's path is split once: findRefs runs for every document of its kind on every cold load.
const STEPS = new Map<string, Step[]>();

function stepsOf(field: string): Step[] {
  let steps = STEPS.get(field);
  if (!steps) {
    let pointer = '/spec';
    steps = field.split('.').map((segment) => {
      const list = segment.endsWith('[]');
      const key = list ? segment.slice(0, -2) : segment;
      pointer = `${pointer}/${key}`;
      return { key, list, pointer };
    });
    STEPS.set(field, steps);
  }
  return steps;
}

/** Every value a rule's field path reaches in a spec (lists expanded). */
export function findRefs(spec: Record<string, unknown>, field: string): FoundRef[] {
  const out: FoundRef[] = [];
  walk(spec, undefined, stepsOf(field), 0, out);
  return out;
}

/** `pointer`: where `value` is, once a list index is part of it (before that, each step knows its own). */
function walk(value: unknown, pointer: string | undefined, steps: Step[], i: number, out: FoundRef[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const step = steps[i]!;
  const v = (value as Record<string, unknown>)[step.key];
  if (v === undefined || v === null) return;
  const at = pointer === undefined ? step.pointer : `${pointer}/${step.key}`;
  const last = i === steps.length - 1;
  if (step.list && Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) {
      if (last) out.push({ pointer: `${at}/${j}`, value: v[j] });
      else walk(v[j], `${at}/${j}`, steps, i + 1, out);
    }
  } else if (last) out.push({ pointer: at, value: v });
  else walk(v, pointer === undefined ? undefined : at, steps, i + 1, out);
}
