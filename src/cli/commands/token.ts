import { apiPath, clientFromFlags, CONNECTION_USAGE, failCommand, formatOf, parseCommand, runRemote, UsageError } from '../client.ts';
import { NotFoundError, ValidationError } from '../../errors/index.ts';
import type { Command } from '../main.ts';
import { SOURCE_FLAGS } from '../open-source.ts';
import { STORE_OPTIONS, STORE_USAGE, withCliStore } from '../open-store.ts';
import type { TokenInfo, TokenService } from '../../api/index.ts';

const USAGE = `usage:
  kradle token create --org ORG|'*' --role admin|writer|reader [--subject NAME] [--ttl 30d|12h|90m|3600s] [--repo PATH|URL] [--path DIR]
  kradle token list [--org ORG] [--format text|json]
  kradle token revoke ID
With KRADLE_SERVER (or --server) set, through that server's /api/tokens (an admin token in KRADLE_TOKEN);
otherwise directly in the store, which fails at once while a server holds its PGlite data directory; there, with
--repo (or KRADLE_REPO) naming the config repo, a token for an org it does not declare is refused, as the server does.
${CONNECTION_USAGE}
${STORE_USAGE}`;

const OPTIONS = { org: { type: 'string' }, role: { type: 'string' }, subject: { type: 'string' }, ttl: { type: 'string' }, ...STORE_OPTIONS, ...SOURCE_FLAGS } as const;

type Values = ReturnType<typeof parseCommand<typeof OPTIONS>>['values'];

/** The three actions, done by the server (HTTP) or by this process on the store. */
interface Tokens {
  create(input: { org: string; role: string; subject?: string; ttl?: string }): Promise<{ token: string; info: TokenInfo }>;
  list(org?: string): Promise<TokenInfo[]>;
  revoke(id: string): Promise<void>;
}

function throughServer(values: Values): Tokens {
  const client = clientFromFlags(values);
  return {
    async create(input) {
      const { body } = await client.request<TokenInfo & { token: string }>('POST', '/api/tokens', { body: input });
      const { token, ...info } = body;
      return { token, info };
    },
    async list(org) {
      return (await client.request<{ items: TokenInfo[] }>('GET', '/api/tokens', { query: { org } })).body.items;
    },
    async revoke(id) {
      await client.request('DELETE', apiPath`/api/tokens/${id}`);
    },
  };
}

async function inStore(values: Values, fn: (tokens: Tokens) => Promise<number>): Promise<number> {
  // Loaded only here: a token made through a server never loads the store or its WASM Postgres.
  const { createTokenService, expiryFromTtl } = await import('../../api/auth/tokens.ts');
  return withCliStore('token', values, async (store) => {
    await store.migrate();
    const svc: TokenService = createTokenService(store);
    return fn({
      create: ({ ttl, role, ...rest }) => svc.create({ ...rest, role: role as TokenInfo['role'], expiresAt: ttl === undefined ? undefined : expiryFromTtl(ttl, '--ttl') }),
      list: (org) => svc.list({ org }),
      revoke: async (id) => void (await svc.revoke(id)),
    });
  });
}

/**
 * Why the store may not get a token for `org`: the config repo (--repo, else KRADLE_REPO, as serve reads it) does
 * not declare it, as POST /api/tokens answers 404 for an org the loaded revision does not declare. The repo is
 * loaded as serve loads it: a Git repository at its tracked ref, a plain directory as on disk. Nothing to check
 * without a repo, or for a platform token.
 */
async function undeclaredOrg(values: Values, org: string, env = process.env): Promise<Error | undefined> {
  const repo = values.repo ?? (env.KRADLE_REPO || undefined);
  if (repo === undefined || org === '*') return undefined;
  const flags = { repo, path: values.path };
  const { openSource, snapshotAt, worktreeSnapshot } = await import('../open-source.ts');
  const { createLoader } = await import('../../loader/index.ts');
  const snapshot = (await worktreeSnapshot(flags)) ?? (await snapshotAt(await openSource(flags), undefined, flags.path));
  const result = await createLoader().check(snapshot);
  const at = `the config repo ${repo} (${snapshot.revision.slice(0, 12)})`;
  if (!result.ok) {
    return new ValidationError(`${at} is invalid (${result.errors.length} error${result.errors.length === 1 ? '' : 's'}): cannot tell whether it declares organization ${org}; fix it (kradle validate), or create the token without --repo`, { details: result.errors.slice(0, 20) });
  }
  if (!result.orgs.includes(org)) return new NotFoundError(`organization ${org} not found: ${at} declares ${result.orgs.join(', ') || 'none'}`);
  return undefined;
}

function printList(list: TokenInfo[], format: 'text' | 'json'): void {
  if (format === 'json') return console.log(JSON.stringify(list, null, 2));
  console.log(`${'ID'.padEnd(18)} ${'ORG'.padEnd(20)} ${'ROLE'.padEnd(7)} ${'SUBJECT'.padEnd(24)} ${'CREATED'.padEnd(25)} ${'EXPIRES'.padEnd(25)} REVOKED`);
  for (const t of list) {
    console.log(`${t.id.padEnd(18)} ${t.org.padEnd(20)} ${t.role.padEnd(7)} ${t.subject.padEnd(24)} ${t.createdAt.padEnd(25)} ${(t.expiresAt ?? 'never').padEnd(25)} ${t.revoked}`);
  }
}

async function act(tokens: Tokens, action: string, values: Values, id: string | undefined, format: 'text' | 'json'): Promise<number> {
  if (action === 'create') {
    const { token, info } = await tokens.create({ org: values.org!, role: values.role!, subject: values.subject, ttl: values.ttl });
    console.error(`token ${info.id} for ${info.subject}: role ${info.role} on org ${info.org}, expires ${info.expiresAt ?? 'never'}; it is shown once`);
    console.log(token);
    return 0;
  }
  if (action === 'revoke') {
    await tokens.revoke(id!);
    console.log(`revoked ${id}`);
    return 0;
  }
  printList(await tokens.list(values.org), format);
  return 0;
}

export const command: Command = {
  summary: 'create, list and revoke API bearer tokens (through a server, or in the store; a token is printed once)',
  usage: USAGE,
  run: (argv) =>
    runRemote('token', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, OPTIONS);
      if (values.help) return console.log(USAGE), 0;
      const [action, id, ...extra] = positionals;
      if (!action || !['create', 'list', 'revoke'].includes(action) || extra.length) throw new UsageError('expected create, list or revoke ID');
      if (action === 'create' && (!values.org || !values.role || !['admin', 'writer', 'reader'].includes(values.role))) {
        throw new UsageError('create needs --org and --role admin|writer|reader');
      }
      if (action === 'revoke' && !id) throw new UsageError('revoke needs the token id');
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const remote = Boolean(values.server || process.env.KRADLE_SERVER);
      if (remote) return act(throughServer(values), action, values, id, format);
      // Checked before the store opens: a refused token leaves no data directory behind. Exit 1, as the server's 404.
      const refused = action === 'create' ? await undeclaredOrg(values, values.org!) : undefined;
      if (refused) return failCommand('token create', argv, refused), 1;
      return inStore(values, (tokens) => act(tokens, action, values, id, format));
    }),
};
