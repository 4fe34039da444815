import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';

const USAGE = 'usage: kradle dispatch --org ORG --stack STACK [--repo REPO] [--ref REF] [--task-kind KIND] [--server URL] [--token T]\n' +
  "  --repo defaults to the only Repository the stack may use (its workspace policy's, else the org's), --ref to\n" +
  "  that Repository's default branch; the server refuses when there is more than one to choose from\n" +
  '  --server and --token default to KRADLE_SERVER and KRADLE_TOKEN';

/** Creates an agent dispatch run through the API (POST /api/orgs/:org/agents/dispatch) and prints it. */
export const command: Command = {
  summary: 'dispatch an agent run through the API',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        org: { type: 'string' }, stack: { type: 'string' }, repo: { type: 'string' }, ref: { type: 'string' },
        'task-kind': { type: 'string' }, server: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return console.log(USAGE), 0;
    const server = values.server ?? process.env.KRADLE_SERVER;
    const token = values.token ?? process.env.KRADLE_TOKEN;
    const missing = (['org', 'stack'] as const).filter((f) => !values[f]);
    if (missing.length || !server) {
      console.error(`kradle dispatch: missing ${[...missing.map((m) => `--${m}`), ...(server ? [] : ['--server'])].join(', ')}\n${USAGE}`);
      return 2;
    }
    const url = `${server.replace(/\/+$/, '')}/api/orgs/${encodeURIComponent(values.org!)}/agents/dispatch`;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ stack: values.stack, repository: values.repo, ...(values.ref ? { sourceRefs: [values.ref] } : {}), taskKind: values['task-kind'] ?? 'manual' }),
    });
    const body = (await res.json().catch(() => ({}))) as { metadata?: { name?: string }; status?: { phase?: string; lastError?: string }; error?: { code: string; message: string } };
    if (!res.ok) {
      console.error(`kradle dispatch: ${res.status} ${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim());
      return 1;
    }
    console.log(`${body.metadata?.name} ${body.status?.phase}${body.status?.lastError ? `: ${body.status.lastError}` : ''}`);
    return body.status?.phase === 'Failed' ? 1 : 0;
  },
};
