// The MCP write tools of a real `kradle serve` (plan-only, PGlite, a real Git repository), called with the
// official SDK's client: a write that ignores a spec field says so in the text the model reads.
import test from 'ava';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningServer } from '../../src/server/server.ts';
import { acmeRepo, startTestServer } from '../support/test-server.ts';
import { httpClient } from './support.ts';

let server: RunningServer;
let client: Client;

test.before(async () => {
  const started = await startTestServer({ repo: acmeRepo() });
  server = started.server;
  client = await httpClient(server.url, started.token, '?org=acme');
});

test.after.always(async () => {
  await client?.close();
  await server?.close();
});

const textOf = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n');
const team = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'kradle.a5c.ai/v1alpha1', kind: 'Team', metadata: { name }, spec: { organizationRef: 'acme', displayName: name, ...spec } });

test('kradle_apply_resource names each ignored field in its text; a clean write has none', async (t) => {
  const typo = await client.callTool({ name: 'kradle_apply_resource', arguments: { resource: team('docs', { parentTeam: 'platform' }) } });
  t.falsy(typo.isError, textOf(typo));
  t.regex(textOf(typo), /The write succeeded, with 1 warning:\n- orgs\/acme\/teams\/docs\.yaml:\d+:3: warning UNKNOWN_FIELD spec\.parentTeam is not a field of Team; it is ignored$/);
  t.like((typo.structuredContent as { warnings: unknown[] }).warnings[0], { code: 'UNKNOWN_FIELD', field: 'spec.parentTeam' });

  const clean = await client.callTool({ name: 'kradle_apply_resource', arguments: { resource: team('site', {}) } });
  t.falsy(clean.isError, textOf(clean));
  t.notRegex(textOf(clean), /warning UNKNOWN_FIELD|The write succeeded/);
  t.deepEqual((clean.structuredContent as { warnings: unknown[] }).warnings, []);
});
