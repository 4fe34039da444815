import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/command-table.ts';
import { main } from '../../src/cli/main.ts';

/** Runs `kradle ...` in-process, capturing what it prints. */
async function kradle(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  const write = process.stdout.write;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  process.stdout.write = ((chunk: string) => (out.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
    process.stdout.write = write;
  }
}

for (const name of Object.keys(COMMANDS)) {
  test.serial(`kradle ${name} --help, -h and kradle help ${name} print its usage and exit 0`, async (t) => {
    for (const argv of [[name, '--help'], [name, '-h'], ['help', name]]) {
      const ran = await kradle(...argv);
      t.is(ran.code, 0, argv.join(' '));
      t.regex(ran.out, new RegExp(`usage:[\\s\\S]*kradle ${name}`), argv.join(' '));
    }
  });
}

test.serial('every command module in src/cli/commands/ has its line in the command table, with the summary it declares', async (t) => {
  const dir = fileURLToPath(new URL('../../src/cli/commands/', import.meta.url));
  const modules = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).sort();
  t.deepEqual(Object.keys(COMMANDS).sort(), modules);
  for (const [name, entry] of Object.entries(COMMANDS)) t.is(entry.summary, (await entry.load()).command.summary, name);
});

test.serial('kradle --help lists every command with its summary; a bare kradle is a usage error', async (t) => {
  const ran = await kradle('--help');
  t.is(ran.code, 0);
  for (const [name, c] of Object.entries(COMMANDS)) t.true(ran.out.includes(`${name.padEnd(11)} ${c.summary}`), name);
  t.is((await kradle()).code, 2);
  const unknown = await kradle('nope');
  t.is(unknown.code, 2);
  t.regex(unknown.err, /unknown command "nope"/);
});

test.serial('kradle version and --version print the package version', async (t) => {
  const { version } = JSON.parse(execFileSync('git', ['show', 'HEAD:package.json'], { cwd: fileURLToPath(new URL('../..', import.meta.url)) }).toString());
  for (const argv of [['version'], ['--version']]) {
    const ran = await kradle(...argv);
    t.is(ran.code, 0);
    t.true(ran.out.startsWith(`kradle ${version} `), ran.out);
  }
});

test.serial('kradle completion prints a bash or zsh script naming every command; another shell is a usage error', async (t) => {
  const bash = await kradle('completion', 'bash');
  t.is(bash.code, 0);
  t.regex(bash.out, /complete -o default -F _kradle kradle/);
  const zsh = await kradle('completion', 'zsh');
  t.is(zsh.code, 0);
  t.regex(zsh.out, /^#compdef kradle/);
  for (const name of Object.keys(COMMANDS)) {
    t.true(bash.out.includes(name), name);
    t.true(zsh.out.includes(`'${name}:`), name);
  }
  t.is((await kradle('completion', 'fish')).code, 2);
});

test.serial('the bash completion script is valid bash that completes command names', (t) => {
  const script = execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/kradle.js', import.meta.url)), 'completion', 'bash']).toString();
  const got = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(kradle va); COMP_CWORD=1; _kradle; echo "\${COMPREPLY[@]}"`]).toString().trim();
  t.is(got, 'validate');
});
