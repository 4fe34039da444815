import test from 'ava';
import { maskValue, scanChanges, scanText, type RedactionFinding } from '../../src/agents/index.ts';

const secretCases: [string, string, RedactionFinding['rule']][] = [
  ['key=value password', 'db password=hunter2hunter2', 'key-value-secret'],
  ['yaml api key', 'api_key: "abcd1234efgh"', 'key-value-secret'],
  ['anthropic token', 'use sk-ant-REDACTEDREDACTEDREDACTED1234 here', 'provider-token'],
  ['github token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', 'provider-token'],
  ['aws key id', 'AKIAABCDEFGHIJKLMNOP', 'provider-token'],
  ['bearer header', 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'bearer-header'],
  ['pem block', '-----BEGIN RSA PRIVATE KEY-----', 'pem-block'],
  ['long base64', 'blob: U2VjcmV0VmFsdWVUaGF0SXNWZXJ5TG9uZ0FuZFNob3VsZEJlQ2F1Z2h0', 'long-base64'],
];

for (const [title, text, rule] of secretCases) {
  test(`redaction finds a ${title}`, (t) => {
    const findings = scanText('.company-brain/runbooks/x.md', `first line\n${text}\n`);
    t.is(findings.length, 1, JSON.stringify(findings));
    t.is(findings[0]!.rule, rule);
    t.is(findings[0]!.line, 2);
    t.is(findings[0]!.path, '.company-brain/runbooks/x.md');
  });
}

test('findings never carry the secret value', (t) => {
  const value = 'sk-ant-REDACTEDREDACTEDREDACTED1234';
  const findings = scanText('a.md', `token ${value}`);
  t.true(findings.length >= 1);
  for (const f of findings) t.false(JSON.stringify(f).includes(value));
  t.is(maskValue('abcdefgh'), 'abcd****');
});

test('ordinary memory text, hex digests and identifiers pass', (t) => {
  const clean = [
    'The deploy runbook: restart the runner pool, then check the queue depth.',
    'commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the flaky test',
    'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'see orgs/acme/agentstacks/reviewer.yaml and KradleWorkspacePolicyControllerReconciler',
    'password policy: rotate every 90 days',
  ].join('\n');
  t.deepEqual(scanChanges([{ path: 'n.md', content: clean }]), []);
});
