import test from 'ava';
import { computeAllStackReadiness, computeStackReadiness, createStackReadinessSync, READINESS_CONDITIONS } from '../../src/agents/index.ts';
import { createDesiredState, type DesiredState } from '../../src/loader/index.ts';
import { doc, loadState, orgFiles } from './helpers.ts';

const statusOf = (r: { conditions: { type: string; status: string; message: string }[] }, type: string) => r.conditions.find((c) => c.type === type);

test('a complete stack has all 11 conditions True', async (t) => {
  const state = await loadState(orgFiles('acme'));
  const r = computeStackReadiness(state.get('AgentStack', 'acme', 'fixer')!, state);
  t.deepEqual(r.conditions.map((c) => c.type), [...READINESS_CONDITIONS]);
  t.true(r.ready);
  t.true(r.conditions.every((c) => c.status === 'True'));
});

test('a missing secret grant: SecretsAdmitted=False naming the Secret, and Ready=False', async (t) => {
  const state = await loadState(orgFiles('acme', { withoutSecretGrant: true }));
  const r = computeStackReadiness(state.get('AgentStack', 'acme', 'fixer')!, state);
  t.false(r.ready);
  t.is(statusOf(r, 'SecretsAdmitted')?.status, 'False');
  t.regex(statusOf(r, 'SecretsAdmitted')!.message, /anthropic-key/);
  t.is(statusOf(r, 'Ready')?.status, 'False');
  t.is(statusOf(r, 'RolesAdmitted')?.status, 'True');
  t.deepEqual(r.missing.SecretsAdmitted, ['anthropic-key']);
});

/** The loader refuses dangling references, so a state with one missing is the full state minus that document. */
function without(state: DesiredState, kind: string, name: string): DesiredState {
  return createDesiredState(`${state.revision}-without`, [...state.resources.values()].filter((r) => !(r.id.kind === kind && r.id.name === name)));
}

const wide = doc('AgentStack', 'wide', {
  organizationRef: 'acme', baseAgent: 'claude-code', adapter: 'mux', runtimeIdentity: 'fixer-bot',
  toolProfile: 'strict', mcpServers: ['github'], skills: ['review'], subagents: ['tester'], contextLabels: ['sec'],
});
const referenced = [
  doc('AgentToolProfile', 'strict', { organizationRef: 'acme', filesystemPolicy: 'read-only', approvalPolicyByTool: {} }),
  doc('AgentMcpServer', 'github', { organizationRef: 'acme', transport: 'http', scope: 'org' }),
  doc('AgentSkill', 'review', { organizationRef: 'acme', format: 'markdown', sourceRef: 'api' }),
  doc('AgentSubagent', 'tester', { organizationRef: 'acme', rolePrompt: 'write tests', taskKinds: ['test'] }),
  doc('AgentContextLabel', 'sec', { organizationRef: 'acme', promptFragment: 'be careful', allowedSources: ['docs'] }),
];

const broken: [string, string, string, RegExp][] = [
  ['AgentToolProfile', 'strict', 'ToolsAdmitted', /AgentToolProfile\/strict/],
  ['AgentMcpServer', 'github', 'McpHealthy', /AgentMcpServer\/github/],
  ['AgentSkill', 'review', 'SkillsValidated', /AgentSkill\/review/],
  ['AgentSubagent', 'tester', 'SubagentsValid', /AgentSubagent\/tester/],
  ['AgentContextLabel', 'sec', 'ContextLabelsValid', /AgentContextLabel\/sec/],
  ['AgentServiceAccount', 'fixer-bot', 'RuntimeIdentityReady', /AgentServiceAccount\/fixer-bot/],
  ['AgentRoleBinding', 'fixer-bot-edit', 'RolesAdmitted', /AgentRoleBinding for fixer-bot/],
];

test('a stack with every kind of reference is Ready when all exist', async (t) => {
  const state = await loadState(orgFiles('acme', { extra: [wide, ...referenced] }));
  t.true(computeStackReadiness(state.get('AgentStack', 'acme', 'wide')!, state).ready);
});

for (const [kind, name, type, message] of broken) {
  test(`readiness: missing ${kind} sets ${type}=False and CapabilitiesResolved names it`, async (t) => {
    const full = await loadState(orgFiles('acme', { extra: [wide, ...referenced] }));
    const state = without(full, kind, name);
    const r = computeStackReadiness(state.get('AgentStack', 'acme', 'wide')!, state);
    t.is(statusOf(r, type)?.status, 'False');
    t.regex(statusOf(r, type)!.message, message);
    t.is(statusOf(r, 'Ready')?.status, 'False');
    if (kind !== 'AgentRoleBinding') t.regex(statusOf(r, 'CapabilitiesResolved')!.message, new RegExp(`${kind}/${name}`));
  });
}

test('a config ref without an AgentConfigGrant: ConfigAdmitted=False', async (t) => {
  const stack = doc('AgentStack', 'cfg', { organizationRef: 'acme', baseAgent: 'x', adapter: 'mux', runtimeIdentity: 'fixer-bot', configRefs: ['settings'] });
  const state = await loadState(orgFiles('acme', { extra: [stack] }));
  const r = computeStackReadiness(state.get('AgentStack', 'acme', 'cfg')!, state);
  t.is(statusOf(r, 'ConfigAdmitted')?.status, 'False');
  t.regex(statusOf(r, 'ConfigAdmitted')!.message, /settings/);
  t.false(r.ready);
});

test('readiness of every stack of the state', async (t) => {
  const state = await loadState(orgFiles('acme', { extra: [wide, ...referenced] }));
  t.deepEqual(computeAllStackReadiness(state).map((r) => `${r.stack}:${r.ready}`).sort(), ['fixer:true', 'wide:true']);
});

test('the readiness sync writes only stacks whose conditions changed', async (t) => {
  const written: string[] = [];
  const sync = createStackReadinessSync(async (r) => void written.push(`${r.stack}:${r.ready}`));
  await sync(await loadState(orgFiles('acme', { withoutSecretGrant: true })));
  await sync(await loadState(orgFiles('acme', { withoutSecretGrant: true }), 'rev-2'));
  await sync(await loadState(orgFiles('acme'), 'rev-3'));
  t.deepEqual(written, ['fixer:false', 'fixer:true']);
});
