import { listKinds } from '../../kinds/index.ts';
import type { Command } from '../main.ts';

export const command: Command = {
  summary: 'list every kind: plural, storage (config = Git, runtime = Postgres), context',
  usage: 'usage: kradle kinds [--format text|json]',
  async run(argv) {
    if (argv.includes('--format') && argv[argv.indexOf('--format') + 1] === 'json') {
      console.log(JSON.stringify(listKinds(), null, 2));
      return 0;
    }
    console.log(`${'KIND'.padEnd(36)} ${'PLURAL'.padEnd(38)} ${'STORAGE'.padEnd(8)} CONTEXT`);
    for (const d of listKinds()) console.log(`${d.kind.padEnd(36)} ${d.plural.padEnd(38)} ${d.storage.padEnd(8)} ${d.context}`);
    return 0;
  },
};
