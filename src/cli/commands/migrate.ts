import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';
import { STORE_OPTIONS, STORE_USAGE, withCliStore } from '../open-store.ts';

const USAGE = `usage: kradle migrate [--database-url URL | --data-dir DIR]
${STORE_USAGE}`;

export const command: Command = {
  summary: 'apply pending store migrations (PGlite in --data-dir, or Postgres at --database-url) and print them',
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...STORE_OPTIONS,
        // Tests run each file in a schema of its own; operators rarely need it.
        schema: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return console.log(USAGE), 0;
    return withCliStore('migrate', values, async (store) => {
      const applied = await store.migrate();
      for (const id of applied) console.log(`applied ${id}`);
      console.log(applied.length ? `${applied.length} migration(s) applied (${store.driver})` : `nothing to apply (${store.driver})`);
      return 0;
    });
  },
};
