import { clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError, type ApiClient } from '../client.ts';
import { listStacks } from '../../mcp/index.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle stacks [--org ORG] [--format text|json]
  the agent stacks of an org with their readiness (spec §10); --org defaults to the token's only org
${CONNECTION_USAGE}`;

async function orgOf(api: ApiClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const { body } = await api.request<{ organizations: { slug: string }[] }>('GET', '/api/orgs');
  if (body.organizations.length !== 1) throw new UsageError(`--org is required: the token sees ${body.organizations.length} orgs`);
  return body.organizations[0]!.slug;
}

/** Lists AgentStacks through the API; exit 0 whatever their readiness (a listing, not a check). */
export const command: Command = {
  summary: 'list agent stacks with their readiness',
  run: (argv) =>
    runRemote('stacks', USAGE, argv, async () => {
      const { values } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const api = clientFromFlags(values);
      const org = await orgOf(api, values.org);
      const stacks = await listStacks(api, org);
      if (format === 'json') return console.log(JSON.stringify({ org, items: stacks }, null, 2)), 0;
      if (!stacks.length) return console.log(`org ${org} has no agent stacks`), 0;
      const width = Math.max(4, ...stacks.map((s) => s.name.length));
      console.log(`${'NAME'.padEnd(width)}  READY    NOT READY`);
      for (const s of stacks) {
        const failing = s.conditions.filter((c) => c.type !== 'Ready' && c.status !== 'True').map((c) => `${c.type}${c.reason ? ` (${c.reason})` : ''}`);
        console.log(`${s.name.padEnd(width)}  ${s.ready.padEnd(7)}  ${failing.join(', ') || '-'}`);
      }
      return 0;
    }),
};
