import type { Condition } from '../store/types.ts';
import type { DesiredResource, DesiredState } from '../loader/types.ts';
import { desiredSpec, refList, refName, specOf } from './refs.ts';

export const READINESS_CONDITIONS = [
  'CapabilitiesResolved', 'ToolsAdmitted', 'McpHealthy', 'SkillsValidated', 'SubagentsValid', 'ContextLabelsValid',
  'RuntimeIdentityReady', 'RolesAdmitted', 'SecretsAdmitted', 'ConfigAdmitted', 'Ready',
] as const;
export type ReadinessType = (typeof READINESS_CONDITIONS)[number];

export interface StackReadiness {
  org: string;
  stack: string;
  ready: boolean;
  conditions: Condition[];
  /** Names of the missing things per condition, for permission review and messages. */
  missing: Partial<Record<ReadinessType, string[]>>;
}

/** The refs of a stack, by the kind they must resolve to (§10 CapabilitiesResolved). */
const STACK_REFS: [field: string, kind: string][] = [
  ['adapter', 'AgentAdapter'], ['runtimeIdentity', 'AgentServiceAccount'], ['toolProfile', 'AgentToolProfile'],
  ['mcpServers', 'AgentMcpServer'], ['skills', 'AgentSkill'], ['subagents', 'AgentSubagent'],
  ['contextLabels', 'AgentContextLabel'], ['providerConfig', 'AgentProviderConfig'],
  ['workspacePolicy', 'KradleWorkspacePolicy'], ['memoryRepository', 'AgentMemoryRepository'],
];

function namesOf(spec: Record<string, unknown>, field: string): string[] {
  const v = spec[field];
  return Array.isArray(v) ? refList(v) : [refName(v)].filter((n): n is string => !!n);
}

/** A grant or binding names its subject by the AgentServiceAccount name or by the Kubernetes SA name. */
function subjectMatches(subject: unknown, identity: string, saName: string | undefined): boolean {
  const n = refName(subject);
  return n === identity || (saName !== undefined && n === saName);
}

/** The Secrets a stack needs: spec.secretRefs and its provider config's secretRef/credentialRef. */
export function secretsNeeded(stack: Record<string, unknown>, state: DesiredState, org: string): string[] {
  const provider = desiredSpec(state, 'AgentProviderConfig', org, refName(stack.providerConfig));
  const fromProvider = provider ? [refName(provider.secretRef), refName(provider.credentialRef)] : [];
  return [...new Set([...refList(stack.secretRefs), ...fromProvider].filter((n): n is string => !!n))];
}

export function configsNeeded(stack: Record<string, unknown>): string[] {
  return [...new Set([...refList(stack.configRefs), ...refList(stack.configMapRefs)])];
}

interface Check {
  missing: string[];
  message: (missing: string[]) => string;
}

function checks(stack: Record<string, unknown>, state: DesiredState, org: string): Record<Exclude<ReadinessType, 'Ready'>, Check> {
  const has = (kind: string, name: string) => !!state.get(kind, org, name);
  const missingOf = (field: string, kind: string) => namesOf(stack, field).filter((n) => !has(kind, n)).map((n) => `${kind}/${n}`);
  const identity = refName(stack.runtimeIdentity) ?? '';
  const sa = desiredSpec(state, 'AgentServiceAccount', org, identity);
  const saName = typeof sa?.serviceAccountName === 'string' ? sa.serviceAccountName : undefined;
  const ofKind = (kind: string) => state.byOrg(org).filter((r) => r.id.kind === kind).map((r) => r.object.spec);
  const bindings = ofKind('AgentRoleBinding').filter((b) => subjectMatches(b.subject, identity, saName));
  const boundRoles = new Set(bindings.map((b) => refName(b.roleRef)));
  const secretGrants = ofKind('AgentSecretGrant').filter((g) => subjectMatches(g.subject, identity, saName));
  const configGrants = ofKind('AgentConfigGrant').filter((g) => subjectMatches(g.subject, identity, saName));
  const skills = namesOf(stack, 'skills').filter((n) => { const s = desiredSpec(state, 'AgentSkill', org, n); return !s || !s.format || !refName(s.sourceRef); });
  const subagents = namesOf(stack, 'subagents').filter((n) => { const s = desiredSpec(state, 'AgentSubagent', org, n); return !s || !Array.isArray(s.taskKinds) || !s.taskKinds.length; });
  const rolesMissing = !sa ? [] : bindings.length === 0 ? [`AgentRoleBinding for ${identity}`] : refList(stack.requiredRoles).filter((r) => !boundRoles.has(r)).map((r) => `AgentRoleBinding of role ${r} for ${identity}`);
  return {
    CapabilitiesResolved: { missing: STACK_REFS.flatMap(([f, k]) => missingOf(f, k)), message: (m) => `missing references: ${m.join(', ')}` },
    ToolsAdmitted: { missing: missingOf('toolProfile', 'AgentToolProfile'), message: (m) => `tool profile not found: ${m.join(', ')}` },
    McpHealthy: { missing: missingOf('mcpServers', 'AgentMcpServer'), message: (m) => `MCP servers not found: ${m.join(', ')}` },
    SkillsValidated: { missing: skills.map((n) => `AgentSkill/${n}`), message: (m) => `skills missing or without format and sourceRef: ${m.join(', ')}` },
    SubagentsValid: { missing: subagents.map((n) => `AgentSubagent/${n}`), message: (m) => `subagents missing or without taskKinds: ${m.join(', ')}` },
    ContextLabelsValid: { missing: missingOf('contextLabels', 'AgentContextLabel'), message: (m) => `context labels not found: ${m.join(', ')}` },
    RuntimeIdentityReady: { missing: sa ? [] : [`AgentServiceAccount/${identity || '(none)'}`], message: (m) => `runtime identity not found: ${m.join(', ')}` },
    RolesAdmitted: { missing: rolesMissing, message: (m) => `missing: ${m.join(', ')}` },
    SecretsAdmitted: {
      missing: secretsNeeded(stack, state, org).filter((s) => !secretGrants.some((g) => refName(g.secretRef) === s)),
      message: (m) => `no AgentSecretGrant gives ${identity} the Secrets ${m.join(', ')}`,
    },
    ConfigAdmitted: {
      missing: configsNeeded(stack).filter((c) => !configGrants.some((g) => refName(g.configMapRef) === c)),
      message: (m) => `no AgentConfigGrant gives ${identity} the ConfigMaps ${m.join(', ')}`,
    },
  };
}

function condition(type: string, ok: boolean, reason: string, message: string, now: Date, generation?: number): Condition {
  return {
    type, status: ok ? 'True' : 'False', reason, message, lastTransitionTime: now.toISOString(),
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
  };
}

/** Spec §10: the 11 readiness conditions of a stack against the desired state. Pure. */
export function computeStackReadiness(stack: DesiredResource, state: DesiredState, now = new Date(0)): StackReadiness {
  const org = stack.org ?? String(specOf(stack).organizationRef ?? '');
  const results = checks(specOf(stack), state, org);
  const conditions: Condition[] = [];
  const missing: StackReadiness['missing'] = {};
  for (const [type, check] of Object.entries(results) as [Exclude<ReadinessType, 'Ready'>, Check][]) {
    const ok = check.missing.length === 0;
    if (!ok) missing[type] = check.missing;
    conditions.push(condition(type, ok, ok ? 'Resolved' : `${type}Failed`, ok ? 'all requirements met' : check.message(check.missing), now));
  }
  const failed = conditions.filter((c) => c.status === 'False').map((c) => c.type);
  const ready = failed.length === 0;
  conditions.push(condition('Ready', ready, ready ? 'Ready' : 'NotReady', ready ? 'stack is ready' : `not ready: ${failed.join(', ')}`, now));
  return { org, stack: stack.id.name, ready, conditions, missing };
}

/** Readiness of every AgentStack of the state: what the sync loop calls whenever the state changes. */
export function computeAllStackReadiness(state: DesiredState, now = new Date(0)): StackReadiness[] {
  return state.byKind('AgentStack').map((s) => computeStackReadiness(s, state, now));
}

/**
 * Writes the readiness of every stack through `sink` (the cluster CR status, an API cache). The sink is
 * called only for stacks whose conditions changed since the last call, so calling it on every sync is cheap.
 */
export function createStackReadinessSync(sink: (r: StackReadiness) => Promise<void>, clock: { now(): Date } = { now: () => new Date() }) {
  const last = new Map<string, string>();
  return async function syncStackReadiness(state: DesiredState): Promise<StackReadiness[]> {
    const all = computeAllStackReadiness(state, clock.now());
    const seen = new Set<string>();
    for (const r of all) {
      const key = `${r.org}/${r.stack}`;
      seen.add(key);
      const fingerprint = JSON.stringify(r.conditions.map((c) => [c.type, c.status, c.reason, c.message]));
      if (last.get(key) === fingerprint) continue;
      await sink(r);
      last.set(key, fingerprint);
    }
    for (const key of [...last.keys()]) if (!seen.has(key)) last.delete(key);
    return all;
  };
}
