// `npm run bench` runs every bench/<name>.ts; `npm run bench -- load store` runs the named ones. What they share lives in bench/support/ and bench/sync-server/.
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const dir = fileURLToPath(new URL('./', import.meta.url));
const all = (await readdir(dir)).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3)).sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted.length ? wanted : all) {
  if (!all.includes(name)) {
    console.error(`no bench named ${name}; have: ${all.join(', ')}`);
    process.exitCode = 2;
    continue;
  }
  console.log(`\n== bench/${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
