import test from 'ava';
import { readFileSync } from 'node:fs';
import { isConfigKind } from '../../src/kinds/index.ts';
import { createLoader, REFERENCES } from '../../src/loader/index.ts';
import { fixtureRepo, FIXTURES } from './fixture-repo.ts';

test('the reference table names config kinds only', (t) => {
  for (const r of REFERENCES) {
    t.true(r.kind === '*' || isConfigKind(r.kind), r.kind);
    if (Array.isArray(r.target)) for (const k of r.target) t.true(isConfigKind(k), `${r.kind}.${r.field} -> ${k}`);
  }
  t.true(REFERENCES.some((r) => r.kind === 'AgentStack' && r.field === 'mcpServers[]'));
});

const stack = (adapter: string) =>
  readFileSync(`${FIXTURES}config-repo/orgs/acme/agentstacks/reviewer.yaml`, 'utf8').replace('adapter: agent-mux', `adapter: ${adapter}`);

// Every spelling of a reference into the document's own org resolves; into another org it is denied.
const forms: [string, string | undefined][] = [
  ['agent-mux', undefined],
  ['acme/agent-mux', undefined],
  ['{ name: agent-mux, namespace: kradle-org-acme }', undefined],
  ['{ name: agent-mux, namespace: acme, kind: AgentAdapter }', undefined],
  ['{ name: codex, namespace: globex-tenant }', 'CROSS_ORG_REF_DENIED'],
  ['globex/codex', 'CROSS_ORG_REF_DENIED'],
  ['{ name: agent-mux, namespace: nowhere }', 'DANGLING_REF'],
  ['{ name: agent-mux, kind: AgentSkill }', 'INVALID_VALUE'],
  ['{ namespace: acme }', 'SCHEMA_VIOLATION'],
];

test('a schema-invalid Organization still scopes its documents: one error, no cascade', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const org = readFileSync(`${FIXTURES}config-repo/orgs/globex/organization.yaml`, 'utf8').replace('displayName: Globex', 'displayName: ""');
  repo.commit({ 'orgs/globex/organization.yaml': org });
  const r = await createLoader().load(await repo.snapshot());
  t.deepEqual(r.ok ? [] : r.errors.map((e) => `${e.code} ${e.path}:${e.line}`), ['SCHEMA_VIOLATION orgs/globex/organization.yaml:7']);
});

test('reference forms: name, org/name, {name, namespace, kind}', async (t) => {
  const repo = fixtureRepo('config-repo');
  t.teardown(repo.remove);
  const loader = createLoader();
  for (const [form, code] of forms) {
    repo.commit({ 'orgs/acme/agentstacks/reviewer.yaml': stack(form) });
    const r = await loader.load(await repo.snapshot());
    t.deepEqual(r.ok ? [] : [...new Set(r.errors.map((e) => `${e.code} ${e.path}:${e.line}`))], code ? [`${code} orgs/acme/agentstacks/reviewer.yaml:12`] : [], form);
  }
});
