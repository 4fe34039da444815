import { parseArgs } from 'node:util';
import { createStore } from '../../store/index.ts';
import type { Command } from '../main.ts';

export const command: Command = {
  summary: 'apply pending store migrations (PGlite in --data-dir, or Postgres at --database-url) and print them',
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        'database-url': { type: 'string' },
        'data-dir': { type: 'string' },
        // Tests run each file in a schema of its own; operators rarely need it.
        schema: { type: 'string' },
      },
    });
    // An explicit --data-dir asks for PGlite even when DATABASE_URL is set in the environment.
    const fromEnv = values['data-dir'] === undefined ? process.env.DATABASE_URL || undefined : undefined;
    const databaseUrl = values['database-url'] ?? fromEnv;
    const dataDir = values['data-dir'] ?? (process.env.KRADLE_DATA_DIR || undefined);
    const store = createStore({ databaseUrl, dataDir, schema: values.schema });
    try {
      const applied = await store.migrate();
      for (const id of applied) console.log(`applied ${id}`);
      console.log(applied.length ? `${applied.length} migration(s) applied (${store.driver})` : `nothing to apply (${store.driver})`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
