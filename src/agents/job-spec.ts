import type { KubeObject } from '../cluster/types.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, ORG_LABEL, OWNER_LABEL } from '../kinds/index.ts';
import { sessionName } from './dispatch-session.ts';
import { RUN_CONTEXT_DIR, RUN_CONTEXT_FILE, type CredentialRef } from './run-context.ts';

// Pinned to the release it ships with, never a moving tag (see DEFAULT_RUNNER_IMAGE).
export const DEFAULT_AGENT_IMAGE = 'ghcr.io/a5c-ai/kradle-agent-runner:0.1.0';
export const RUN_TOKEN_KEY = 'token';

export interface AgentJobInput {
  runName: string;
  namespace: string;
  org: string;
  attemptNumber: number;
  serviceAccountName: string;
  callbackUrl: string;
  image?: string;
  /** Granted Secret keys, each an env var by secretKeyRef; never a value. */
  credentials?: CredentialRef[];
  /** The run-context file's content (buildRunContext); its ConfigMap is owned by the Job. */
  context?: Record<string, unknown>;
  /** PVC of the run's workspace; an emptyDir otherwise. */
  workspaceClaimName?: string;
  /** The workspace (KradleWorkspace or managed workspace record) the PVC belongs to: the run's workspaceRef. */
  workspaceName?: string;
  activeDeadlineSeconds: number;
  transport: { protocol: string; codec: string };
  taskKind: string;
  stack: string;
}

export function agentJobName(runName: string): string {
  return `kradle-agent-${runName}`.slice(0, 63).replace(/-+$/, '');
}

export function runContextConfigMapName(runName: string): string {
  return `${agentJobName(runName)}-context`.slice(0, 63).replace(/-+$/, '');
}

export function runTokenSecretName(runName: string): string {
  return `${agentJobName(runName)}-token`.slice(0, 63).replace(/-+$/, '');
}

function labels(input: AgentJobInput): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [ORG_LABEL]: input.org,
    [OWNER_LABEL]: `AgentDispatchRun.${input.runName}`.slice(0, 63),
    'kradle.a5c.ai/dispatch-run': input.runName,
  };
}

/**
 * The batch/v1 Job that executes one attempt of a run. The callback token comes from a Secret by
 * secretKeyRef, never as a literal env value; backoffLimit 0 because a retry is a new run (§6.8).
 */
export function buildAgentJob(input: AgentJobInput): KubeObject {
  const env = [
    { name: 'KRADLE_ORG', value: input.org },
    { name: 'KRADLE_RUN', value: input.runName },
    { name: 'KRADLE_ATTEMPT', value: String(input.attemptNumber) },
    { name: 'KRADLE_TASK_KIND', value: input.taskKind },
    { name: 'KRADLE_AGENT_STACK', value: input.stack },
    { name: 'KRADLE_CALLBACK_URL', value: input.callbackUrl },
    { name: 'KRADLE_STEPS_URL', value: input.callbackUrl.replace(/\/callback$/, '/steps') },
    { name: 'KRADLE_SESSION', value: sessionName(input.runName, input.attemptNumber) },
    { name: 'AGENT_MUX_TRANSPORT', value: input.transport.protocol },
    { name: 'TRANSPORT_MUX_CODEC', value: input.transport.codec },
    { name: 'KRADLE_RUN_CONTEXT', value: `${RUN_CONTEXT_DIR}/${RUN_CONTEXT_FILE}` },
    { name: 'KRADLE_WORKSPACE', value: '/workspace' },
    ...repoEnv(input.context),
    {
      name: 'KRADLE_RUN_TOKEN',
      valueFrom: { secretKeyRef: { name: runTokenSecretName(input.runName), key: RUN_TOKEN_KEY } },
    },
    ...(input.credentials ?? []).map((c) => ({ name: c.env, valueFrom: { secretKeyRef: { name: c.secret, key: c.key } } })),
  ];
  const container: Record<string, unknown> = {
    name: 'agent',
    image: input.image ?? DEFAULT_AGENT_IMAGE,
    env,
    volumeMounts: [
      { name: 'workspace', mountPath: '/workspace' },
      { name: 'run-context', mountPath: RUN_CONTEXT_DIR, readOnly: true },
    ],
  };
  const volume = input.workspaceClaimName
    ? { name: 'workspace', persistentVolumeClaim: { claimName: input.workspaceClaimName } }
    : { name: 'workspace', emptyDir: {} };
  const contextVolume = { name: 'run-context', configMap: { name: runContextConfigMapName(input.runName) } };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: agentJobName(input.runName), namespace: input.namespace, labels: labels(input) },
    spec: {
      backoffLimit: 0,
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: labels(input) },
        spec: {
          serviceAccountName: input.serviceAccountName,
          restartPolicy: 'Never',
          containers: [container],
          volumes: [volume, contextVolume],
        },
      },
    },
  };
}

function repoEnv(context: Record<string, unknown> | undefined): { name: string; value: string }[] {
  const repo = (context?.repository ?? {}) as { cloneUrl?: unknown; ref?: unknown; commit?: unknown };
  const pairs: [string, unknown][] = [['KRADLE_REPO_URL', repo.cloneUrl], ['KRADLE_REF', repo.ref], ['KRADLE_COMMIT', repo.commit]];
  return pairs.filter(([, v]) => typeof v === 'string' && v).map(([name, v]) => ({ name, value: v as string }));
}

function ownedByJob(runName: string, job: { uid: string }) {
  return [{ apiVersion: 'batch/v1', kind: 'Job', name: agentJobName(runName), uid: job.uid, controller: true }];
}

/** The run-context ConfigMap, owned by the Job: deleted with it, and never holding a credential. */
export function buildRunContextConfigMap(input: AgentJobInput, job: { uid: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: runContextConfigMapName(input.runName), namespace: input.namespace, labels: labels(input), ownerReferences: ownedByJob(input.runName, job) },
    data: { [RUN_CONTEXT_FILE]: JSON.stringify(input.context ?? {}, null, 2) },
  };
}

/** The per-run callback token Secret, owned by the Job so it is garbage-collected with it. */
export function buildRunTokenSecret(input: AgentJobInput, token: string, job: { uid: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: runTokenSecretName(input.runName),
      namespace: input.namespace,
      labels: labels(input),
      ownerReferences: ownedByJob(input.runName, job),
    },
    type: 'Opaque',
    stringData: { [RUN_TOKEN_KEY]: token },
  };
}
