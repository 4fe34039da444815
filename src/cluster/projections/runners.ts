import { ORG_LABEL } from '../../kinds/index.ts';
import type { DesiredResource } from '../../loader/types.ts';
import type { KubeObject } from '../types.ts';
import { asRecord, nativeMeta, refName, type ProjectionContext } from './meta.ts';

/**
 * The runner image when a RunnerPool names none, pinned to the release it ships with: a moving tag would change
 * runners under a running pool, and the sample org's own disallow-latest-tag policy forbids it.
 */
export const DEFAULT_RUNNER_IMAGE = 'ghcr.io/a5c-ai/kradle-runner:0.1.0';
export const RUNNER_POOL_LABEL = 'kradle.a5c.ai/runner-pool';

export function runnerDeploymentName(poolName: string): string {
  return `kradle-runner-${poolName}`;
}

/** spec.serviceAccountName, or the service account of the AgentServiceAccount named by spec.runtimeIdentity. */
function runnerServiceAccount(r: DesiredResource, ctx: ProjectionContext): string | undefined {
  const spec = r.object.spec;
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName) return spec.serviceAccountName;
  const identity = refName(spec.runtimeIdentity);
  if (!identity) return undefined;
  const asa = ctx.state.get('AgentServiceAccount', r.org, identity);
  const sa = asa?.object.spec.serviceAccountName;
  return typeof sa === 'string' ? sa : identity;
}

function runnerContainer(r: DesiredResource): Record<string, unknown> {
  const spec = r.object.spec;
  const env = [
    { name: 'KRADLE_RUNNER_POOL', value: r.id.name },
    ...(r.org ? [{ name: 'KRADLE_ORG', value: r.org }] : []),
    ...(typeof spec.trustBoundary === 'string' ? [{ name: 'KRADLE_TRUST_BOUNDARY', value: spec.trustBoundary }] : []),
  ];
  const resources = asRecord(spec.resources);
  return {
    name: 'runner',
    image: typeof spec.image === 'string' && spec.image ? spec.image : DEFAULT_RUNNER_IMAGE,
    env,
    ...(resources ? { resources: structuredClone(resources) } : {}),
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
  };
}

/**
 * RunnerPool: a Deployment of warm runners, replicas = warmReplicas (the scaler raises it toward maxReplicas
 * from queue depth; that is status, not desired state). Pods carry the pool and org labels but not
 * managed-by: Kradle owns the Deployment, the Deployment owns its pods.
 */
export function projectRunnerPool(r: DesiredResource, ctx: ProjectionContext): KubeObject[] {
  const spec = r.object.spec;
  const selector = { [RUNNER_POOL_LABEL]: r.id.name };
  const podLabels: Record<string, string> = { ...selector, ...(r.org ? { [ORG_LABEL]: r.org } : {}) };
  const serviceAccountName = runnerServiceAccount(r, ctx);
  const podSpec = {
    ...(serviceAccountName ? { serviceAccountName } : { automountServiceAccountToken: false }),
    containers: [runnerContainer(r)],
  };
  const replicas = typeof spec.warmReplicas === 'number' ? spec.warmReplicas : 0;
  const meta = nativeMeta(r, runnerDeploymentName(r.id.name), r.id.namespace, {
    'kradle.a5c.ai/max-replicas': String(spec.maxReplicas ?? ''),
  });
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: { replicas, selector: { matchLabels: selector }, template: { metadata: { labels: podLabels }, spec: podSpec } },
    },
  ];
}
