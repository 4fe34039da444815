import { clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError } from '../client.ts';
import type { Command } from '../main.ts';
import { printStatus, readStatus } from './status.ts';

const USAGE = `usage: kradle sync [--org ORG] [--format text|json]
  asks the server to fetch and apply the config repo now (POST /api/sync, a platform token), then prints the status;
  exit 1 when the sync failed (the revision is invalid, objects failed to apply, or the fetch failed)
${CONNECTION_USAGE}`;

/** States of a sync that did not bring the cluster to the fetched revision. */
const FAILED_STATES = new Set(['ValidationFailed', 'Failed']);

/** POST /api/sync, then the same view as `kradle status`; exit 1 when the pass failed, as `argocd app sync` does. */
export const command: Command = {
  summary: 'trigger a sync on a running server, then print its status',
  usage: USAGE,
  run: (argv) =>
    runRemote('sync', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}`);
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const client = clientFromFlags(values);
      const answer = (await client.request<{ completed?: boolean; state?: string }>('POST', '/api/sync?wait=600', { body: {} })).body;
      if (format === 'text') console.log('sync triggered');
      printStatus(await readStatus(client, values.org), format);
      return answer.completed && FAILED_STATES.has(answer.state ?? '') ? 1 : 0;
    }),
};
