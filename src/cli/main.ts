import { listKinds } from '../kinds/index.ts';

/** Entry of the `kradle` command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (command === 'kinds') {
    for (const d of listKinds()) console.log(`${d.kind.padEnd(36)} ${d.plural.padEnd(38)} ${d.storage.padEnd(8)} ${d.context}`);
    return 0;
  }
  console.error(`kradle: unknown command ${JSON.stringify(command ?? '')}`);
  return 2;
}
