// The Dockerfile, parsed (no Docker engine here, so no build is claimed): stages, user, what the runtime
// stage copies, and that its ENTRYPOINT/CMD name files and a command that exist.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Instruction {
  op: string;
  args: string;
}

/** Instructions in order: comments dropped, backslash continuations joined. */
function parse(text: string): Instruction[] {
  const joined = text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n').replace(/\\\n/g, ' ');
  return joined.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });
}

/** Stages by FROM: name (AS ...) and their instructions. */
function stages(all: Instruction[]) {
  const out: { base: string; name?: string; body: Instruction[] }[] = [];
  for (const i of all) {
    if (i.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(i.args)!;
      out.push({ base: m[1]!, name: m[2], body: [] });
    } else out.at(-1)?.body.push(i);
  }
  return out;
}

const execForm = (args: string): string[] => (args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/));
const globToRegex = (g: string) => new RegExp(`^${g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);

const dockerfile = parse(readFileSync(`${ROOT}Dockerfile`, 'utf8'));
const all = stages(dockerfile);
const runtime = all.at(-1)!;
const ignored = readFileSync(`${ROOT}.dockerignore`, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

/** Build-context sources of the runtime stage's COPY instructions (COPY --from copies between stages). */
const contextCopies = runtime.body.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from')).map((i) => i.args.split(/\s+/).slice(0, -1));

test('multi-stage: at least two stages, and every COPY --from names an earlier stage', (t) => {
  t.true(all.length >= 2);
  all.forEach((s, at) => {
    for (const i of s.body.filter((x) => x.op === 'COPY' && x.args.startsWith('--from='))) {
      const from = /^--from=(\S+)/.exec(i.args)![1];
      t.true(all.slice(0, at).some((earlier) => earlier.name === from), `COPY --from=${from} in stage ${at}`);
    }
  });
});

test('the runtime stage runs as a non-root user, set before its ENTRYPOINT and CMD', (t) => {
  const ops = runtime.body.map((i) => i.op);
  const user = runtime.body.filter((i) => i.op === 'USER').at(-1);
  t.truthy(user, 'USER in the runtime stage');
  const [name, group] = user!.args.split(':');
  t.false(name === 'root' || name === '0' || group === '0' || group === 'root', `USER ${user!.args}`);
  const lastUser = ops.lastIndexOf('USER');
  t.true(lastUser < ops.indexOf('ENTRYPOINT') && lastUser < ops.indexOf('CMD'));
});

test('the runtime stage copies what kradle serve needs (bin/, src/, schemas/, package*.json), none of it ignored', (t) => {
  const sources = contextCopies.flat();
  for (const needed of ['bin', 'src', 'schemas']) {
    t.true(sources.some((s) => s.replace(/\/$/, '') === needed), `COPY ${needed}`);
    t.false(ignored.includes(needed), `${needed} is not in .dockerignore`);
  }
  for (const file of ['package.json', 'package-lock.json']) {
    t.true(sources.some((s) => globToRegex(s).test(file)), `a COPY source matches ${file}`);
  }
  for (const s of sources) {
    const matches = s.includes('*') ? readdirSync(ROOT).filter((f) => globToRegex(s).test(f)) : existsSync(`${ROOT}${s}`) ? [s] : [];
    t.true(matches.length > 0, `COPY source ${s} exists in the repository`);
  }
});

test('ENTRYPOINT and CMD name files that exist and a kradle command that exists', (t) => {
  const workdir = runtime.body.filter((i) => i.op === 'WORKDIR').at(-1)!.args;
  const argv = [...execForm(runtime.body.find((i) => i.op === 'ENTRYPOINT')!.args), ...execForm(runtime.body.find((i) => i.op === 'CMD')!.args)];
  t.is(argv[0], 'node');
  const script = argv[1]!;
  t.regex(script, /\.js$/);
  // The context is copied into WORKDIR, so a relative script is a path of this repository.
  const inRepo = script.startsWith('/') ? script.slice(workdir.length + 1) : script;
  t.true(existsSync(`${ROOT}${inRepo}`), `${script} exists`);
  t.true(contextCopies.some((srcs) => srcs.some((s) => inRepo.startsWith(`${s.replace(/\/$/, '')}/`))), `${inRepo} is copied`);
  const command = argv[2]!;
  t.true(existsSync(`${ROOT}src/cli/commands/${command}.ts`), `kradle ${command} exists`);
});
