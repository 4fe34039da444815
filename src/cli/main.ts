import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from './command-table.ts';

/** A `kradle` subcommand: one file in src/cli/commands/, named after the command, with a line in command-table.ts. */
export interface Command {
  summary: string;
  /** The text `kradle help <cmd>` and `<cmd> --help` print. */
  usage?: string;
  /** Returns the exit code: 0 success, 1 a negative result (invalid config), 2 usage or I/O error. */
  run(argv: string[]): Promise<number>;
  /**
   * True when nothing the command starts outlives run(): the `kradle` process then exits as soon as its output is
   * flushed, instead of waiting for the garbage collector's threads and the heap to wind down (after a large load,
   * 50-400 ms on a busy machine).
   */
  exitsWhenDone?: boolean;
}

const COMMANDS_DIR = fileURLToPath(new URL('./commands/', import.meta.url));
// Run from src/ (tsx) or from the compiled dist/: command modules carry this file's extension.
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** Modules in commands/ without a line in the table yet (a command added on another branch, say). */
async function unlisted(): Promise<string[]> {
  const files = await readdir(COMMANDS_DIR).catch(() => [] as string[]);
  return files.filter((f) => f.endsWith(EXT) && !f.endsWith(`.d${EXT}`)).map((f) => f.slice(0, -EXT.length)).filter((n) => !(n in COMMANDS)).sort();
}

async function loadCommand(name: string): Promise<Command | undefined> {
  if (!/^[a-z][a-z-]*$/.test(name)) return undefined;
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry) return (await entry.load()).command;
  if (!(await unlisted()).includes(name)) return undefined;
  return ((await import(`./commands/${name}${EXT}`)) as { command: Command }).command;
}

async function usage(): Promise<string> {
  const lines = ['usage: kradle <command> [options]      kradle help <command>      kradle --version', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(11)} ${c.summary}`);
  for (const name of await unlisted()) lines.push(`  ${name.padEnd(11)} ${(await loadCommand(name))?.summary ?? ''}`);
  return lines.join('\n');
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** `--help` before any `--`: the command's own option parser may not know it, so it is answered here. */
function asksHelp(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((a) => HELP_FLAGS.has(a));
}

async function help(name: string | undefined): Promise<number> {
  if (!name) {
    console.log(await usage());
    return 0;
  }
  const cmd = await loadCommand(name);
  if (!cmd) return unknown(name);
  if (cmd.usage) console.log(cmd.usage);
  else return cmd.run(['--help']);
  return 0;
}

async function unknown(name: string): Promise<number> {
  console.error(`kradle: unknown command ${JSON.stringify(name)}\n\n${await usage()}`);
  return 2;
}

/** Whether `kradle <argv>` has finished everything once main() returned (Command.exitsWhenDone). */
export async function exitsWhenDone(argv: string[]): Promise<boolean> {
  const cmd = argv[0] === undefined ? undefined : await loadCommand(argv[0]);
  return cmd?.exitsWhenDone === true;
}

/** Entry of the `kradle` command; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    console.error(await usage());
    return 2;
  }
  if (name === '--version' || name === '-v') return (await COMMANDS.version!.load()).command.run([]);
  if (name === 'help' || HELP_FLAGS.has(name)) return help(rest[0]);
  const cmd = await loadCommand(name);
  if (!cmd) return unknown(name);
  if (asksHelp(rest) && cmd.usage) {
    console.log(cmd.usage);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const { formatCliError, printErrorJson } = await import('./output.ts');
    printErrorJson(rest, err);
    console.error(formatCliError(err));
    return 2;
  }
}
