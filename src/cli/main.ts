import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { formatCliError } from './output.ts';

/** A `kradle` subcommand: one file in src/cli/commands/, named after the command. */
export interface Command {
  summary: string;
  /** The text `kradle help <cmd>` and `<cmd> --help` print. */
  usage?: string;
  /** Returns the exit code: 0 success, 1 a negative result (invalid config), 2 usage or I/O error. */
  run(argv: string[]): Promise<number>;
}

const COMMANDS_DIR = fileURLToPath(new URL('./commands/', import.meta.url));

async function commandNames(): Promise<string[]> {
  return (await readdir(COMMANDS_DIR)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name) || !(await commandNames()).includes(name)) return undefined;
  return ((await import(`./commands/${name}.ts`)) as { command: Command }).command;
}

async function usage(): Promise<string> {
  const lines = ['usage: kradle <command> [options]', '', 'commands:'];
  for (const name of await commandNames()) {
    const cmd = await loadCommand(name);
    lines.push(`  ${name.padEnd(10)} ${cmd?.summary ?? ''}`);
  }
  return lines.join('\n');
}

/** Entry of the `kradle` command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(await usage());
    return name ? 0 : 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    console.error(`kradle: unknown command ${JSON.stringify(name)}\n\n${await usage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    console.error(formatCliError(err));
    return 2;
  }
}
