import test from 'ava';
import { parseAllDocuments } from 'yaml';
import { applyEdit, documentFor } from '../../src/writeback/index.ts';
import type { Resource } from '../../src/kinds/index.ts';

const TEAM = `# Platform team: owns the runners
apiVersion: kradle.a5c.ai/v1alpha1
kind: Team
metadata:
  name: platform # never rename
  labels:
    tier: core
spec:
  organizationRef: acme
  displayName: Platform # shown in the UI
  members: [alice, bob]
  description: keeps the lights on
`;

const team = (spec: Record<string, unknown>, labels?: Record<string, string>): Resource => ({
  apiVersion: 'kradle.a5c.ai/v1alpha1',
  kind: 'Team',
  metadata: { name: 'platform', namespace: 'kradle-org-acme', ...(labels ? { labels } : {}) },
  spec: { organizationRef: 'acme', ...spec },
});

test('an edit keeps comments, key order and untouched values', (t) => {
  const files = [{ path: 'orgs/acme/teams/platform.yaml', text: TEAM }];
  const out = applyEdit(files, { op: 'upsert', resource: team({ displayName: 'Platform Eng', members: ['alice', 'bob'], description: 'keeps the lights on', slack: '#platform' }, { tier: 'core' }) });
  t.is(out.path, 'orgs/acme/teams/platform.yaml');
  t.false(out.created);
  t.is(
    out.text,
    TEAM.replace('displayName: Platform #', 'displayName: Platform Eng #').replace('keeps the lights on\n', "keeps the lights on\n  slack: \"#platform\"\n"),
  );
});

test('removed keys go and changed lists are rewritten, the rest stays', (t) => {
  const files = [{ path: 'a.yaml', text: TEAM }];
  const out = applyEdit(files, { op: 'upsert', resource: team({ displayName: 'Platform', members: ['carol'] }) });
  const text = out.text!;
  t.true(text.startsWith('# Platform team: owns the runners\n'));
  t.true(text.includes('name: platform # never rename'));
  t.true(text.includes('displayName: Platform # shown in the UI'));
  t.false(text.includes('description'));
  t.false(text.includes('tier: core'), 'labels absent from the write are removed');
  t.deepEqual(parseAllDocuments(text)[0]!.toJS().spec, { organizationRef: 'acme', displayName: 'Platform', members: ['carol'] });
});

test('an edit that changes nothing is reported unchanged', (t) => {
  const out = applyEdit([{ path: 'a.yaml', text: TEAM }], { op: 'upsert', resource: team({ displayName: 'Platform', members: ['alice', 'bob'], description: 'keeps the lights on' }, { tier: 'core' }) });
  t.true(out.unchanged);
  t.is(out.text, TEAM);
});

const MULTI = `# two teams
kind: Team
apiVersion: kradle.a5c.ai/v1alpha1
metadata: {name: web}
spec:
  organizationRef: acme
  displayName: Web   # web folks
---
# the platform team
kind: Team
apiVersion: kradle.a5c.ai/v1alpha1
metadata:
  name: platform
  namespace: kradle-org-acme
spec:
  displayName: Platform
  organizationRef: acme
---
kind: Team
apiVersion: kradle.a5c.ai/v1alpha1
metadata:
  name: platform
  namespace: other
spec: {displayName: Other, organizationRef: other}
`;

test('a multi-document edit touches only its document (located by kind, org and name)', (t) => {
  const out = applyEdit([{ path: 'teams.yaml', text: MULTI }], { op: 'upsert', resource: team({ displayName: 'Platform 2' }) });
  const [before, after] = [MULTI.split('---'), out.text!.split('---')];
  t.is(after.length, 3);
  t.is(after[0], before[0]);
  t.is(after[2], before[2]);
  t.is(after[1], before[1]!.replace('displayName: Platform\n', 'displayName: Platform 2\n'));
});

test('a new resource goes to its conventional path', (t) => {
  const out = applyEdit([{ path: 'teams.yaml', text: MULTI }], { op: 'upsert', resource: { ...team({ displayName: 'Data' }), metadata: { name: 'data' } } });
  t.true(out.created);
  t.is(out.path, 'orgs/acme/teams/data.yaml');
  t.is(out.text, documentFor({ ...team({ displayName: 'Data' }), metadata: { name: 'data' } }));
  t.deepEqual(parseAllDocuments(out.text!)[0]!.toJS(), { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name: 'data' }, spec: { organizationRef: 'acme', displayName: 'Data' } });
  const org = applyEdit([], { op: 'upsert', resource: { apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Organization', metadata: { name: 'acme' }, spec: { displayName: 'Acme', namespaceName: 'kradle-org-acme' } } }, { dir: 'config' });
  t.is(org.path, 'config/orgs/acme/organization.yaml');
});

test('delete removes the document, or the file when it held only that one', (t) => {
  const middle = applyEdit([{ path: 'teams.yaml', text: MULTI }], { op: 'delete', kind: 'Team', org: 'acme', name: 'platform' });
  const docs = parseAllDocuments(middle.text!).map((d) => d.toJS());
  t.deepEqual(docs.map((d) => `${d.metadata.name}/${d.spec.organizationRef}`), ['web/acme', 'platform/other']);
  t.true(middle.text!.startsWith(MULTI.split('---')[0]!));
  const first = applyEdit([{ path: 'teams.yaml', text: MULTI }], { op: 'delete', kind: 'Team', org: 'acme', name: 'web' });
  t.false(first.text!.startsWith('---'));
  t.deepEqual(parseAllDocuments(first.text!).map((d) => d.toJS().metadata.name), ['platform', 'platform']);
  const only = applyEdit([{ path: 'orgs/acme/teams/platform.yaml', text: TEAM }], { op: 'delete', kind: 'Team', org: 'acme', name: 'platform' });
  t.is(only.text, null);
  const err = t.throws(() => applyEdit([{ path: 'a.yaml', text: TEAM }], { op: 'delete', kind: 'Team', org: 'other', name: 'platform' }));
  t.is((err as { status?: number }).status, 404);
});
