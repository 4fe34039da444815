import { stringify } from 'yaml';
import { apiPath, clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError } from '../client.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle get KIND NAME --org ORG [--format yaml|json]
  prints one resource (config kinds with their sync status) as YAML, or JSON with --format json
${CONNECTION_USAGE}`;

/** GET /api/orgs/:org/resources/:kind/:name, printed as YAML (the format the config repo holds). */
export const command: Command = {
  summary: 'print one resource from a running server (YAML or JSON)',
  usage: USAGE,
  run: (argv) =>
    runRemote('get', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      const [kind, name, ...extra] = positionals;
      if (!kind || !name || extra.length) throw new UsageError('expected KIND and NAME');
      if (!values.org) throw new UsageError('--org is required');
      // `text` is accepted like on every other command and means YAML here.
      const format = formatOf(values.format, ['yaml', 'json', 'text'], 'yaml');
      const client = clientFromFlags(values);
      const { body } = await client.request('GET', apiPath`/api/orgs/${values.org}/resources/${kind}/${name}`);
      console.log(format === 'json' ? JSON.stringify(body, null, 2) : stringify(body).trimEnd());
      return 0;
    }),
};
