import { apiPath, clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError } from '../client.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle delete KIND NAME --org ORG [--mode commit|pull-request] [--if-match REV] [--format text|json]
  config kinds: a commit removing the document from the config repo; runtime kinds: the record in the store
${CONNECTION_USAGE}`;

interface DeleteResult {
  operation: string;
  commit?: string;
  branch?: string;
  path?: string;
}

/** DELETE /api/orgs/:org/resources/:kind/:name; prints the commit that removed it. */
export const command: Command = {
  summary: 'delete a resource through a running server (config kinds: a commit)',
  usage: USAGE,
  run: (argv) =>
    runRemote('delete', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, { org: { type: 'string' }, mode: { type: 'string' }, 'if-match': { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      const [kind, name, ...extra] = positionals;
      if (!kind || !name || extra.length) throw new UsageError('expected KIND and NAME');
      if (!values.org) throw new UsageError('--org is required');
      if (values.mode && values.mode !== 'commit' && values.mode !== 'pull-request') throw new UsageError('--mode must be commit or pull-request');
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const client = clientFromFlags(values);
      const { body } = await client.request<DeleteResult>('DELETE', apiPath`/api/orgs/${values.org}/resources/${kind}/${name}`, {
        query: { mode: values.mode },
        headers: values['if-match'] ? { 'if-match': `"${values['if-match']}"` } : {},
      });
      if (format === 'json') console.log(JSON.stringify(body, null, 2));
      else console.log(`${kind}/${name} deleted${body.commit ? ` (commit ${body.commit}${body.branch ? ` on ${body.branch}` : ''})` : ''}`);
      return 0;
    }),
};
