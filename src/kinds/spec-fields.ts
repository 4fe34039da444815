/**
 * JSON Schema fragments for spec fields whose type or constraints the spec states.
 * Required fields not listed here accept any non-empty value (spec §4.1: non-null, non-empty string).
 * schemas/<Kind>.json is generated from this table and the registry (scripts/gen-schemas.ts).
 */

type JsonSchema = Record<string, unknown>;

const str: JsonSchema = { type: 'string', minLength: 1 };
const strList: JsonSchema = { type: 'array', minItems: 1, items: str };
const bool: JsonSchema = { type: 'boolean' };
const obj: JsonSchema = { type: 'object' };
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const nonNegative: JsonSchema = { type: 'number', minimum: 0 };
const enumOf = (...values: string[]): JsonSchema => ({ type: 'string', enum: values });
/** A reference by name, or an object naming it (`{name, namespace?, key?}`). */
export const ref: JsonSchema = {
  oneOf: [str, { type: 'object', required: ['name'], properties: { name: str } }],
};
const refList: JsonSchema = { type: 'array', items: ref };
const slug: JsonSchema = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' };
const dnsLabel = slug;

export const AGENT_APPROVAL_ACTIONS = ['tool-use', 'secret-access', 'write-back', 'release', 'escalation'] as const;
export const DISPATCH_PHASES = ['Pending', 'AwaitingApproval', 'Queued', 'Running', 'Completed', 'Failed'] as const;
export const APPROVAL_PHASES = ['Pending', 'Approved', 'Denied'] as const;
export const WRITE_INTENT_PHASES = ['PendingApproval', 'ReadyToSend', 'Sending', 'Retrying', 'Succeeded', 'Failed', 'Rejected'] as const;
export const CONFLICT_STRATEGIES = ['prefer-external', 'prefer-kradle', 'manual', 'ignore'] as const;
export const MEMORY_IMPORT_PHASES = [
  'Collected', 'Redacting', 'Normalizing', 'Validating', 'AwaitingReview', 'Approved', 'Rejected', 'Merged',
] as const;
export const WORKSPACE_PHASES = ['Pending', 'Provisioning', 'Ready', 'InUse', 'Archiving', 'Archived'] as const;
export const MODEL_FORMATS = ['sklearn', 'xgboost', 'lightgbm', 'tensorflow', 'pytorch', 'onnx', 'triton', 'huggingface', 'custom'] as const;
export const POLICY_MODES = ['audit', 'enforce', 'Audit', 'Enforce'] as const;

export interface KindSchemaParts {
  spec?: Record<string, JsonSchema>;
  status?: Record<string, JsonSchema>;
}

const policyMode = enumOf(...POLICY_MODES);

export const SPEC_FIELDS: Record<string, KindSchemaParts> = {
  Organization: {
    spec: {
      displayName: str,
      namespaceName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
      slug,
      budgetLimitUsd: nonNegative,
    },
  },
  OrgNamespaceBinding: { spec: { namespace: dnsLabel } },
  User: { spec: { email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' }, admin: bool } },
  Team: { spec: { members: { type: 'array', items: ref }, maintainers: { type: 'array', items: ref } } },
  Invite: { spec: { email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' }, expiresAt: dateTime } },
  IdentityMapping: { spec: { user: ref } },
  AgentServiceAccount: { spec: { namespace: str, serviceAccountName: dnsLabel } },
  AgentRoleBinding: { spec: { subject: ref, roleRef: ref, scope: enumOf('namespace', 'org', 'cluster') } },
  AgentSecretGrant: { spec: { subject: ref, secretRef: ref, keys: { type: 'array', items: str } } },
  AgentConfigGrant: { spec: { subject: ref, configMapRef: ref, keys: { type: 'array', items: str } } },
  Repository: {
    spec: {
      visibility: enumOf('public', 'private', 'internal'),
      defaultBranch: str,
      // Repository hosting: where the repository's Git data lives (a local path, or an http(s) URL served
      // over smart HTTP) and the Secret holding its credentials. Merges of pull requests happen there.
      git: {
        type: 'object',
        required: ['url'],
        properties: { url: str, credentialRef: { oneOf: [str, { type: 'object', required: ['name'], properties: { name: str, key: str } }] } },
      },
    },
  },
  SSHKey: { spec: { scope: enumOf('user', 'deploy', 'automation'), key: str } },
  RepositoryPermission: {
    spec: { repository: ref, subject: ref, permission: enumOf('read', 'triage', 'write', 'maintain', 'admin') },
  },
  BranchProtection: { spec: { refs: strList, repository: ref, requiredApprovals: { type: 'integer', minimum: 0 } } },
  PolicyProfile: { spec: { mode: policyMode } },
  PolicyTemplate: { spec: { targetKinds: strList, kyverno: obj } },
  PolicyBinding: { spec: { templateRef: ref, mode: policyMode } },
  PolicyExceptionRequest: { spec: { policyRef: ref, justification: str, expiresAt: dateTime } },
  WebhookSubscription: {
    spec: {
      url: { type: 'string', pattern: '^https?://' },
      events: strList,
      secretRef: ref,
      deliveryMode: enumOf('async', 'sync'),
    },
  },
  RunnerPool: {
    spec: {
      warmReplicas: { type: 'integer', minimum: 0 },
      maxReplicas: { type: 'integer', minimum: 1 },
      image: str,
      trustBoundary: str,
    },
  },
  View: { spec: { selector: ref } },
  AgentStack: {
    spec: {
      adapter: ref,
      runtimeIdentity: ref,
      toolProfile: ref,
      mcpServers: refList,
      skills: refList,
      subagents: refList,
      contextLabels: refList,
      providerConfig: ref,
      requiresApproval: bool,
    },
  },
  AgentSubagent: { spec: { taskKinds: strList } },
  AgentToolProfile: { spec: { filesystemPolicy: { type: ['string', 'object'] }, approvalPolicyByTool: obj } },
  AgentSkill: { spec: { sourceRef: ref } },
  AgentTriggerRule: {
    spec: {
      sources: strList,
      agentStack: ref,
      repository: ref,
      allowedActors: { type: 'array', items: str },
      cronExpression: str,
      enabled: bool,
      webhookTrigger: obj,
      commentTrigger: obj,
      labelTrigger: obj,
    },
  },
  AgentContextLabel: { spec: { allowedSources: strList } },
  AgentTransportBinding: { spec: { adapterRef: ref, endpoint: str } },
  AgentGatewayConfig: { spec: { gatewayUrl: { type: 'string', pattern: '^(https?|wss?)://' } } },
  AgentMemoryRepository: { spec: { repositoryRef: ref, defaultBranch: str, url: str } },
  AgentMemorySource: { spec: { repositoryRef: ref, include: strList } },
  AgentMemoryOntology: { spec: { memoryRepository: ref, ontologyPath: str } },
  AgentMemoryAssociation: { spec: { memoryRef: ref, targetRef: ref } },
  KradleWorkspace: { spec: { repository: ref, volumeSpec: obj } },
  ExternalBackendBinding: { spec: { providerRef: ref, credentialRef: ref } },
  ExternalBackendSyncPolicy: { spec: { providerRef: ref, conflictResolution: enumOf(...CONFLICT_STRATEGIES) } },
  ExternalProviderCapabilityManifest: { spec: { providerRef: ref } },
  KradleInferenceService: {
    spec: {
      predictor: {
        type: 'object',
        required: ['model'],
        properties: {
          model: {
            type: 'object',
            required: ['modelFormat', 'storageUri'],
            properties: {
              modelFormat: { type: 'object', required: ['name'], properties: { name: enumOf(...MODEL_FORMATS) } },
              storageUri: str,
              runtime: str,
              protocolVersion: enumOf('v1', 'v2'),
            },
          },
          resources: obj,
        },
      },
      features: obj,
    },
  },
  KradleServingRuntime: {
    spec: {
      supportedModelFormats: { type: 'array', minItems: 1, items: { type: 'object', required: ['name'] } },
      containers: { type: 'array', minItems: 1, items: { type: 'object', required: ['image'] } },
      multiModel: bool,
    },
  },
  ArtifactRegistry: {
    spec: {
      type: enumOf('npm', 'pip', 'docker', 'generic'),
      storageBackend: enumOf('internal', 's3', 'azure-blob', 'gcs'),
      externalIntegration: { type: 'object', properties: { mode: enumOf('read-only', 'read-write', 'mirror') } },
    },
  },
  ArtifactFeed: {
    spec: {
      registryRef: ref,
      visibility: enumOf('public', 'private'),
      retentionPolicy: {
        type: 'object',
        properties: { maxVersions: { type: 'integer', minimum: 1 }, maxAgeDays: { type: 'integer', minimum: 1 } },
      },
    },
  },
  ArtifactAccessPolicy: { spec: { feedRef: ref, permission: enumOf('read', 'write', 'admin'), expiresAt: dateTime } },
  // Runtime kinds
  PullRequest: { spec: { sourceRef: str, targetRef: str } },
  Review: { spec: { state: enumOf('approved', 'commented', 'changes-requested') } },
  AgentDispatchRun: {
    spec: { sourceRefs: { type: 'array', minItems: 1 }, attemptNumber: { type: 'integer', minimum: 1 } },
    status: { phase: enumOf(...DISPATCH_PHASES) },
  },
  AgentApproval: {
    spec: { action: enumOf(...AGENT_APPROVAL_ACTIONS) },
    status: { phase: enumOf(...APPROVAL_PHASES) },
  },
  AgentTriggerExecution: { spec: { decision: str } },
  AgentRunMemoryImport: { status: { phase: enumOf(...MEMORY_IMPORT_PHASES) } },
  AgentMemoryUpdate: { spec: { changes: { type: 'array', minItems: 1 } } },
  ExternalWriteIntent: { status: { phase: enumOf(...WRITE_INTENT_PHASES) } },
  ExternalSyncConflict: { status: { strategy: enumOf(...CONFLICT_STRATEGIES) } },
  ArtifactVersion: { spec: { size: { type: 'integer', minimum: 0 }, publishedAt: dateTime } },
  ArtifactDownload: { spec: { downloadedAt: dateTime } },
};
