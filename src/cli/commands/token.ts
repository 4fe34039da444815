import { parseArgs } from 'node:util';
import { createTokenService, ROLES, type Role } from '../../api/index.ts';
import { createStore } from '../../store/index.ts';
import type { Command } from '../main.ts';

const USAGE = `usage:
  kradle token create --org ORG|'*' --role admin|writer|reader [--subject NAME]
  kradle token list [--org ORG] [--format json]
  kradle token revoke ID
store: --database-url URL (or DATABASE_URL), else PGlite in --data-dir (or KRADLE_DATA_DIR, default .kradle/data)`;

const OPTIONS = {
  org: { type: 'string' },
  role: { type: 'string' },
  subject: { type: 'string' },
  format: { type: 'string' },
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const command: Command = {
  summary: 'create, list and revoke API bearer tokens (stored hashed; a token is printed once)',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [action, id] = positionals;
    if (!action || !['create', 'list', 'revoke'].includes(action)) {
      console.error(USAGE);
      return 2;
    }
    // An explicit --data-dir means PGlite even when DATABASE_URL is set in the environment.
    const envUrl = values['data-dir'] ? undefined : process.env.DATABASE_URL || undefined;
    const store = createStore({
      databaseUrl: values['database-url'] ?? envUrl,
      dataDir: values['data-dir'] ?? process.env.KRADLE_DATA_DIR ?? undefined,
    });
    try {
      await store.migrate();
      const tokens = createTokenService(store);
      if (action === 'create') {
        if (!values.org || !values.role || !ROLES.includes(values.role as Role)) {
          console.error(USAGE);
          return 2;
        }
        const { token, info } = await tokens.create({ org: values.org, role: values.role as Role, subject: values.subject });
        console.error(`token ${info.id} for ${info.subject}: role ${info.role} on org ${info.org}; it is shown once`);
        console.log(token);
        return 0;
      }
      if (action === 'revoke') {
        if (!id) {
          console.error(USAGE);
          return 2;
        }
        await tokens.revoke(id);
        console.log(`revoked ${id}`);
        return 0;
      }
      const list = await tokens.list({ org: values.org });
      if (values.format === 'json') console.log(JSON.stringify(list, null, 2));
      else {
        console.log(`${'ID'.padEnd(18)} ${'ORG'.padEnd(20)} ${'ROLE'.padEnd(7)} ${'SUBJECT'.padEnd(24)} ${'CREATED'.padEnd(25)} REVOKED`);
        for (const t of list) console.log(`${t.id.padEnd(18)} ${t.org.padEnd(20)} ${t.role.padEnd(7)} ${t.subject.padEnd(24)} ${t.createdAt.padEnd(25)} ${t.revoked}`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};
