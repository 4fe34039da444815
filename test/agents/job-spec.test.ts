import test from 'ava';
import { buildAgentJob, buildRunTokenSecret, checkBudget, type AgentJobInput } from '../../src/agents/index.ts';

const input: AgentJobInput = {
  runName: 'run-abc123', namespace: 'kradle-org-acme', org: 'acme', attemptNumber: 1,
  serviceAccountName: 'reviewer-agent', callbackUrl: 'http://kradle:3080/api/orgs/acme/agents/runs/run-abc123/callback',
  activeDeadlineSeconds: 600, transport: { protocol: 'http', codec: 'json' }, taskKind: 'review', stack: 'reviewer',
};
type Container = { env: { name: string; value?: string; valueFrom?: unknown }[]; envFrom?: unknown[] };
const containerOf = (job: ReturnType<typeof buildAgentJob>) =>
  (job.spec as { template: { spec: { containers: Container[]; volumes: unknown[] } } }).template.spec;

test('the agent Job takes the callback token from a Secret, never as a literal', (t) => {
  const job = buildAgentJob(input);
  t.is(job.metadata.name, 'kradle-agent-run-abc123');
  const pod = containerOf(job);
  const token = pod.containers[0]!.env.find((e) => e.name === 'KRADLE_RUN_TOKEN');
  t.is(token?.value, undefined);
  t.deepEqual(token?.valueFrom, { secretKeyRef: { name: 'kradle-agent-run-abc123-token', key: 'token' } });
  t.is((job.spec as { activeDeadlineSeconds: number }).activeDeadlineSeconds, 600);
  t.is(pod.containers[0]!.envFrom, undefined, 'no Secret is mounted whole');
  t.deepEqual(pod.volumes, [{ name: 'workspace', emptyDir: {} }, { name: 'run-context', configMap: { name: 'kradle-agent-run-abc123-context' } }]);
});

test('a granted credential comes by secretKeyRef and a workspace by its PVC', (t) => {
  const credentials = [{ env: 'KRADLE_PROVIDER_CREDENTIAL', secret: 'anthropic', key: 'apiKey', purpose: 'model provider' }];
  const pod = containerOf(buildAgentJob({ ...input, credentials, workspaceClaimName: 'kradle-ws-run-abc123' }));
  t.is(pod.containers[0]!.envFrom, undefined);
  t.deepEqual(pod.containers[0]!.env.find((e) => e.name === 'KRADLE_PROVIDER_CREDENTIAL'), { name: 'KRADLE_PROVIDER_CREDENTIAL', valueFrom: { secretKeyRef: { name: 'anthropic', key: 'apiKey' } } });
  t.deepEqual(pod.volumes[0], { name: 'workspace', persistentVolumeClaim: { claimName: 'kradle-ws-run-abc123' } });
});

test('the token Secret is owned by the Job', (t) => {
  const secret = buildRunTokenSecret(input, 't0k', { uid: 'uid-1' });
  t.like(secret.metadata, { name: 'kradle-agent-run-abc123-token', namespace: 'kradle-org-acme' });
  t.is((secret.metadata.ownerReferences as { uid: string }[])[0]!.uid, 'uid-1');
});

test('budget: refuses a run over the remaining budget and turns money into a deadline', (t) => {
  const over = checkBudget({ model: 'claude-opus', estimatedInputTokens: 100_000, estimatedOutputTokens: 50_000, budgetLimitUsd: 5, spentUsd: 4 });
  t.false(over.allowed);
  const ok = checkBudget({ model: 'claude-haiku', estimatedInputTokens: 10_000, estimatedOutputTokens: 1_000, budgetLimitUsd: 10, spentUsd: 4, costPerSecondUsd: 0.01 });
  t.true(ok.allowed);
  if (ok.allowed) t.is(ok.activeDeadlineSeconds, 600);
});
