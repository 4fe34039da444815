import type { KindDefinition, Storage } from './types.ts';

export const GROUP = 'kradle.a5c.ai';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const PLATFORM_NAMESPACE = 'kradle-system';

// [kind, plural, bounded context, required spec fields]
type Row = readonly [string, string, string, readonly string[]];

const ORG = 'organizationRef';

const CONFIG: readonly Row[] = [
  ['Organization', 'organizations', 'identity', ['displayName', 'namespaceName']],
  ['OrgNamespaceBinding', 'orgnamespacebindings', 'identity', [ORG, 'namespace']],
  ['User', 'users', 'identity', [ORG, 'displayName', 'email']],
  ['Team', 'teams', 'identity', [ORG, 'displayName']],
  ['Invite', 'invites', 'identity', [ORG, 'email', 'role']],
  ['IdentityMapping', 'identitymappings', 'identity', [ORG, 'user', 'provider', 'subject']],
  ['AuthProvider', 'authproviders', 'identity', [ORG, 'type']],
  ['AgentServiceAccount', 'agentserviceaccounts', 'identity', [ORG, 'namespace', 'serviceAccountName']],
  ['AgentRoleBinding', 'agentrolebindings', 'identity', [ORG, 'subject', 'roleRef', 'scope']],
  ['AgentSecretGrant', 'agentsecretgrants', 'identity', [ORG, 'subject', 'secretRef', 'purpose']],
  ['AgentConfigGrant', 'agentconfiggrants', 'identity', [ORG, 'subject', 'configMapRef', 'purpose']],
  ['Repository', 'repositories', 'data-plane', [ORG, 'visibility']],
  ['SSHKey', 'sshkeys', 'data-plane', [ORG, 'scope', 'key']],
  ['RepositoryPermission', 'repositorypermissions', 'data-plane', [ORG, 'repository', 'subject', 'permission']],
  ['RefPolicy', 'refpolicies', 'data-plane', [ORG]],
  ['BranchProtection', 'branchprotections', 'control-plane', [ORG, 'refs']],
  ['PolicyProfile', 'policyprofiles', 'policy', [ORG, 'displayName', 'mode']],
  ['PolicyTemplate', 'policytemplates', 'policy', ['displayName', 'targetKinds', 'kyverno']],
  ['PolicyBinding', 'policybindings', 'policy', [ORG, 'templateRef', 'mode']],
  ['PolicyExceptionRequest', 'policyexceptionrequests', 'policy', [ORG, 'policyRef', 'justification', 'expiresAt']],
  ['WebhookSubscription', 'webhooksubscriptions', 'hooks-events', [ORG, 'url', 'events']],
  ['RunnerPool', 'runnerpools', 'runners-ci', [ORG, 'warmReplicas', 'maxReplicas']],
  ['View', 'views', 'web-ui', [ORG, 'selector']],
  ['Selector', 'selectors', 'web-ui', [ORG]],
  ['AgentStack', 'agentstacks', 'agents', [ORG, 'baseAgent', 'adapter', 'runtimeIdentity']],
  ['AgentSubagent', 'agentsubagents', 'agents', [ORG, 'rolePrompt', 'taskKinds']],
  ['AgentToolProfile', 'agenttoolprofiles', 'agents', [ORG, 'filesystemPolicy', 'approvalPolicyByTool']],
  ['AgentMcpServer', 'agentmcpservers', 'agents', [ORG, 'transport', 'scope']],
  ['AgentSkill', 'agentskills', 'agents', [ORG, 'format', 'sourceRef']],
  ['AgentTriggerRule', 'agenttriggerrules', 'agents', [ORG, 'sources', 'agentStack', 'taskKind']],
  ['AgentContextLabel', 'agentcontextlabels', 'agents', [ORG, 'promptFragment', 'allowedSources']],
  ['KradleWorkspacePolicy', 'kradleworkspacepolicies', 'agents', [ORG, 'mode', 'retentionPolicy']],
  ['AgentAdapter', 'agentadapters', 'agents', [ORG, 'adapterType', 'transport']],
  ['AgentTransportBinding', 'agenttransportbindings', 'agents', [ORG, 'adapterRef', 'endpoint', 'protocol']],
  ['AgentProviderConfig', 'agentproviderconfigs', 'agents', [ORG, 'provider', 'authType']],
  ['KradleProject', 'kradleprojects', 'agents', [ORG, 'displayName']],
  ['AgentGatewayConfig', 'agentgatewayconfigs', 'agents', [ORG, 'gatewayUrl']],
  ['AgentMemoryRepository', 'agentmemoryrepositories', 'agents', [ORG, 'repositoryRef', 'defaultBranch', 'layoutProfile']],
  ['AgentMemorySource', 'agentmemorysources', 'agents', [ORG, 'repositoryRef', 'appliesTo', 'include']],
  ['AgentMemoryOntology', 'agentmemoryontologies', 'agents', [ORG, 'memoryRepository', 'ontologyPath']],
  ['AgentMemoryAssociation', 'agentmemoryassociations', 'agents', [ORG, 'memoryRef', 'targetRef', 'relationship']],
  ['KradleWorkspace', 'kradleworkspaces', 'workspaces', [ORG, 'repository', 'volumeSpec']],
  ['ExternalBackendProvider', 'externalbackendproviders', 'external-backends', [ORG, 'providerType', 'endpoint']],
  ['ExternalBackendBinding', 'externalbackendbindings', 'external-backends', [ORG, 'providerRef', 'credentialRef']],
  ['ExternalBackendSyncPolicy', 'externalbackendsyncpolicies', 'external-backends', [ORG, 'providerRef', 'syncInterval']],
  ['ExternalProviderCapabilityManifest', 'externalprovidercapabilitymanifests', 'external-backends', [ORG, 'providerRef', 'capabilities']],
  ['KradleInferenceService', 'kradleinferenceservices', 'inference', [ORG, 'predictor']],
  ['KradleServingRuntime', 'kradleservingruntimes', 'inference', [ORG, 'supportedModelFormats', 'containers']],
  ['ArtifactRegistry', 'artifactregistries', 'artifacts', [ORG, 'displayName', 'type', 'storageBackend']],
  ['ArtifactFeed', 'artifactfeeds', 'artifacts', [ORG, 'registryRef', 'displayName']],
  ['ArtifactAccessPolicy', 'artifactaccesspolicies', 'artifacts', [ORG, 'feedRef', 'subject', 'permission']],
];

const RUNTIME: readonly Row[] = [
  ['PullRequest', 'pullrequests', 'control-plane', [ORG, 'repository', 'title']],
  ['Issue', 'issues', 'control-plane', [ORG, 'title']],
  ['Review', 'reviews', 'control-plane', [ORG, 'pullRequest']],
  ['Pipeline', 'pipelines', 'runners-ci', [ORG, 'repository', 'ref']],
  ['Job', 'jobs', 'runners-ci', [ORG, 'pipeline', 'step']],
  ['WebhookDelivery', 'webhookdeliveries', 'hooks-events', [ORG, 'subscription', 'eventType', 'signature']],
  ['AgentDispatchRun', 'agentdispatchruns', 'agents', [ORG, 'repository', 'sourceRefs', 'agentStack', 'taskKind']],
  ['AgentDispatchAttempt', 'agentdispatchattempts', 'agents', [ORG, 'agentDispatchRun', 'attemptReason', 'agentStackSnapshot']],
  ['AgentSession', 'agentsessions', 'agents', [ORG, 'agentMuxSessionId', 'dispatchRun']],
  ['AgentContextBundle', 'agentcontextbundles', 'agents', [ORG, 'dispatchRun', 'digest', 'sources']],
  ['KradleArtifact', 'kradleartifacts', 'agents', [ORG, 'dispatchRun', 'kind', 'digest']],
  ['AgentApproval', 'agentapprovals', 'agents', [ORG, 'dispatchRun', 'action', 'requestedBy']],
  ['AgentTriggerExecution', 'agenttriggerexecutions', 'agents', [ORG, 'triggerRule', 'sourceEvent', 'decision']],
  ['AgentCapabilityRequirement', 'agentcapabilityrequirements', 'agents', [ORG, 'ownerRef', 'requiredRoles']],
  ['WorkItemSessionLink', 'workitemsessionlinks', 'agents', [ORG, 'workItemRef', 'agentSession']],
  ['WorkItemWorkspaceLink', 'workitemworkspacelinks', 'agents', [ORG, 'workItemRef', 'workspace']],
  ['AgentSessionTranscript', 'agentsessiontranscripts', 'agents', [ORG, 'sessionRef', 'messages']],
  ['AgentSessionAttachment', 'agentsessionattachments', 'agents', [ORG, 'sessionRef', 'sourceType', 'digest']],
  ['KradleWorkspaceRuntime', 'kradleworkspaceruntimes', 'agents', [ORG, 'workspaceRef', 'status']],
  ['AgentMemorySnapshot', 'agentmemorysnapshots', 'agents', [ORG, 'memoryRepository', 'requestedRef', 'resolvedCommit']],
  ['AgentMemoryQuery', 'agentmemoryqueries', 'agents', [ORG, 'snapshotRef', 'requester', 'query']],
  ['AgentMemoryUpdate', 'agentmemoryupdates', 'agents', [ORG, 'memoryRepository', 'sourceRun', 'changes']],
  ['AgentRunMemoryImport', 'agentrunmemoryimports', 'agents', [ORG, 'memoryRepository', 'source', 'include']],
  ['ExternalWebhookDelivery', 'externalwebhookdeliveries', 'external-backends', [ORG, 'providerRef', 'eventType', 'payload']],
  ['ExternalSyncEvent', 'externalsyncevents', 'external-backends', [ORG, 'providerRef', 'eventKind', 'resourceRef']],
  ['ExternalSyncState', 'externalsyncstates', 'external-backends', [ORG, 'providerRef', 'resourceRef', 'phase']],
  ['ExternalWriteIntent', 'externalwriteintents', 'external-backends', [ORG, 'providerRef', 'resourceRef', 'operation']],
  ['ExternalSyncConflict', 'externalsyncconflicts', 'external-backends', [ORG, 'providerRef', 'resourceRef', 'conflictKind']],
  ['ExternalObjectLink', 'externalobjectlinks', 'external-backends', [ORG, 'providerRef', 'externalId', 'localRef']],
  ['ArtifactVersion', 'artifactversions', 'artifacts', [ORG, 'feedRef', 'name', 'version', 'packageType', 'publishedBy', 'publishedAt']],
  ['ArtifactDownload', 'artifactdownloads', 'artifacts', [ORG, 'feedRef', 'versionRef', 'downloadedAt']],
];

// Listed from kradle-system only: they name the tenant namespaces rather than live in one.
const PLATFORM_SCOPED = new Set(['Organization', 'OrgNamespaceBinding']);

function define(storage: Storage) {
  return ([kind, plural, context, requiredSpec]: Row): KindDefinition => ({
    group: GROUP,
    version: VERSION,
    apiVersion: API_VERSION,
    kind,
    plural,
    context,
    storage,
    requiredSpec,
    platformScoped: PLATFORM_SCOPED.has(kind),
    orgScoped: requiredSpec.includes(ORG),
  });
}

const ALL: readonly KindDefinition[] = [...CONFIG.map(define('config')), ...RUNTIME.map(define('runtime'))];
const BY_KIND = new Map(ALL.map((d) => [d.kind, d]));
const BY_LOWER = new Map<string, KindDefinition>();
for (const d of ALL) {
  BY_LOWER.set(d.kind.toLowerCase(), d);
  BY_LOWER.set(d.plural, d);
}

export function listKinds(storage?: Storage): readonly KindDefinition[] {
  return storage ? ALL.filter((d) => d.storage === storage) : ALL;
}

export function kindDefinition(kind: string): KindDefinition | undefined {
  return BY_KIND.get(kind);
}

/** Resolves a kind from its name, lower-case name or plural, as users type them in URLs and on the CLI. */
export function resolveKind(nameOrPlural: string): KindDefinition | undefined {
  return BY_KIND.get(nameOrPlural) ?? BY_LOWER.get(nameOrPlural.toLowerCase());
}

export function isConfigKind(kind: string): boolean {
  return BY_KIND.get(kind)?.storage === 'config';
}

export function isRuntimeKind(kind: string): boolean {
  return BY_KIND.get(kind)?.storage === 'runtime';
}
