import { apiPath, clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError } from '../client.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle retry RUN --org ORG [--format text|json]
  retries a Failed agent run as a new run with the next attempt number (POST /api/orgs/:org/agents/runs/:name/retry);
  a run marked not retryable is refused with the reason (exit 1)
${CONNECTION_USAGE}`;

interface Run {
  metadata: { name: string };
  spec: { attemptNumber?: number };
  status: { phase?: string; lastError?: string };
}

/** Prints the new run (`name phase attempt N`); exit 1 when the server refused or the new run failed at once. */
export const command: Command = {
  summary: 'retry a Failed agent run as its next attempt',
  run: (argv) =>
    runRemote('retry', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      if (positionals.length !== 1) throw new UsageError('name exactly one run');
      if (!values.org) throw new UsageError('--org is required');
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const { body } = await clientFromFlags(values).request<Run>('POST', apiPath`/api/orgs/${values.org}/agents/runs/${positionals[0]!}/retry`, { body: {} });
      if (format === 'json') console.log(JSON.stringify(body, null, 2));
      else console.log(`${body.metadata.name} ${body.status.phase} attempt ${body.spec.attemptNumber ?? 1}${body.status.lastError ? `: ${body.status.lastError}` : ''}`);
      return body.status.phase === 'Failed' ? 1 : 0;
    }),
};
