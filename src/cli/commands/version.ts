import { readFileSync } from 'node:fs';
import type { Command } from '../main.ts';

/** The package version, read from package.json (two levels up from src/cli/commands or dist/cli/commands). */
export function kradleVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export const command: Command = {
  summary: 'print the version of kradle (also kradle --version)',
  usage: 'usage: kradle version (or kradle --version)',
  async run() {
    console.log(`kradle ${kradleVersion()} (node ${process.versions.node})`);
    return 0;
  },
};
