/**
 * JSON Schema fragments for spec fields whose type or constraints the spec states, and the optional fields
 * Kradle reads (or the spec names) whose type it does not: those are `known`.
 * Required fields not listed here accept any non-empty value (spec §4.1: non-null, non-empty string).
 * A spec field listed nowhere is still accepted, with an UNKNOWN_FIELD warning (a typo is the usual cause).
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
/**
 * Any value: a field that is listed so that it is known (no UNKNOWN_FIELD warning), while the code that reads
 * it checks its value, as it did before the field was listed; typing it here would move that error elsewhere.
 */
const known: JsonSchema = {};
/** A reference by name, or an object naming it (`{name, namespace?, kind?, key?}`, as the loader and projections read it). */
export const ref: JsonSchema = {
  oneOf: [str, { type: 'object', required: ['name'], properties: { name: str, namespace: known, kind: known, key: known } }],
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
  Team: { spec: { members: { type: 'array', items: ref }, maintainers: { type: 'array', items: ref }, approvers: known } },
  Invite: { spec: { email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$' }, expiresAt: dateTime, teams: known } },
  IdentityMapping: { spec: { user: ref } },
  AuthProvider: { spec: { visible: known, clientSecretRef: known } },
  AgentServiceAccount: { spec: { namespace: str, serviceAccountName: dnsLabel, automountServiceAccountToken: known } },
  AgentRoleBinding: { spec: { subject: ref, roleRef: ref, scope: enumOf('namespace', 'org', 'cluster') } },
  AgentSecretGrant: { spec: { subject: ref, secretRef: ref, keys: { type: 'array', items: str } } },
  AgentConfigGrant: { spec: { subject: ref, configMapRef: ref, keys: { type: 'array', items: str } } },
  Repository: {
    spec: {
      visibility: enumOf('public', 'private', 'internal'),
      defaultBranch: str,
      // Read by a run's context (agents/run-context.ts) where spec.git is not set.
      cloneUrl: known,
      url: known,
      credentialRef: known,
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
  RefPolicy: { spec: { repository: known, denyForcePush: known, requireSignedCommits: known } },
  BranchProtection: { spec: { refs: strList, repository: ref, requiredApprovals: { type: 'integer', minimum: 0 }, requiredChecks: known } },
  PolicyProfile: { spec: { mode: policyMode, defaultTemplates: known } },
  // organizationRef: an org's own template (a platform one has none); the registry lists it for org-scoped kinds only.
  PolicyTemplate: { spec: { targetKinds: strList, kyverno: obj, organizationRef: known, parameters: known, remediation: known } },
  PolicyBinding: { spec: { templateRef: ref, mode: policyMode, repository: known } },
  PolicyExceptionRequest: {
    spec: { policyRef: ref, justification: str, expiresAt: dateTime, approved: known, ruleNames: known, kinds: known, resourceNames: known },
  },
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
      serviceAccountName: known,
      runtimeIdentity: known,
      resources: known,
    },
  },
  View: { spec: { selector: ref, columns: known } },
  Selector: { spec: { matchLabels: known } },
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
      workspacePolicy: known,
      memoryRepository: known,
      workspace: known,
      model: known,
      persona: known,
      systemPrompt: known,
      prompt: known,
      image: known,
      secretRefs: known,
      configRefs: known,
      configMapRefs: known,
      requiredRoles: known,
      approvalAction: known,
      approvalRequiredFor: known,
    },
  },
  AgentSubagent: { spec: { taskKinds: strList, toolProfile: known, model: known } },
  AgentToolProfile: {
    spec: { filesystemPolicy: { type: ['string', 'object'] }, approvalPolicyByTool: obj, allowedTools: known, deniedTools: known, network: known },
  },
  AgentMcpServer: { spec: { url: known, endpoint: known, command: known, args: known, secretRef: known, configMapRef: known } },
  AgentSkill: { spec: { sourceRef: ref, description: known, outputContract: known } },
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
      contextLabels: known,
    },
  },
  AgentContextLabel: { spec: { allowedSources: strList } },
  AgentAdapter: { spec: { capabilities: known } },
  AgentTransportBinding: { spec: { adapterRef: ref, endpoint: str, codec: known, credentialRef: known } },
  AgentProviderConfig: {
    spec: {
      credentialRef: known, secretRef: known, apiBase: known, default: known, defaultModel: known, modelTranslations: known,
      modelRates: known, allowTools: known, timeoutSeconds: known,
    },
  },
  AgentGatewayConfig: { spec: { gatewayUrl: { type: 'string', pattern: '^(https?|wss?)://' }, credentialRef: known, reconnect: known } },
  KradleProject: { spec: { repositories: known, board: known } },
  AgentMemoryRepository: {
    spec: { repositoryRef: ref, defaultBranch: str, url: str, path: known, credentialRef: known, secretRef: known, confidenceThreshold: known },
  },
  AgentMemorySource: { spec: { repositoryRef: ref, include: strList } },
  AgentMemoryOntology: { spec: { memoryRepository: ref, ontologyPath: str, requiredFields: known, edgeKinds: known, vocabulary: known } },
  AgentMemoryAssociation: { spec: { memoryRef: ref, targetRef: ref } },
  KradleWorkspace: { spec: { repository: ref, volumeSpec: obj, policyRef: known } },
  KradleWorkspacePolicy: {
    spec: {
      allowedRepositories: known, allowedTaskKinds: known, requiresApproval: known, approvalRequiredFor: known, warmPool: known,
      volumeSpec: known, trustTier: known,
    },
  },
  ExternalBackendProvider: { spec: { credentialRef: known } },
  ExternalBackendBinding: { spec: { providerRef: ref, credentialRef: ref, repository: known, syncScope: known, webhookSecretRef: known } },
  ExternalBackendSyncPolicy: { spec: { providerRef: ref, conflictResolution: enumOf(...CONFLICT_STRATEGIES), retryPolicy: known } },
  ExternalProviderCapabilityManifest: { spec: { providerRef: ref } },
  KradleInferenceService: {
    spec: {
      predictor: {
        type: 'object',
        required: ['model'],
        properties: {
          // Passed to KServe whole (cluster/projections/inference.ts): its other fields are KServe's, not ours.
          model: {
            type: 'object',
            additionalProperties: true,
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
      storageConfig: known,
      externalIntegration: { type: 'object', properties: { mode: enumOf('read-only', 'read-write', 'mirror'), connectionSecret: known } },
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
