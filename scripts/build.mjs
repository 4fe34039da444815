// `npm run build` (and `prepare`, which `npm ci` runs): compiles src/ to dist/ so `kradle` starts without
// transpiling. Never fails an install: without TypeScript (npm ci --omit=dev) or on a compile error, dist/ is
// removed and bin/kradle.js runs the sources through tsx instead.
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');

function giveUp(why) {
  rmSync(dist, { recursive: true, force: true });
  console.warn(`kradle build: ${why}; bin/kradle.js will run src/ through tsx (slower start)`);
  process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  giveUp('TypeScript is not installed');
}
rmSync(dist, { recursive: true, force: true });
const started = Date.now();
const out = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (out.status !== 0) giveUp('tsc failed');

// What tsc does not emit: SQL migrations, the worker entry, any other asset that lives beside the code.
function copyAssets(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, e.name);
    if (e.isDirectory()) copyAssets(from);
    else if (!e.name.endsWith('.ts')) cpSync(from, join(dist, relative(src, from)), { recursive: true });
  }
}
copyAssets(src);
// The parse worker as one CommonJS file with its dependencies (yaml), so a worker starts in tens of milliseconds
// (src/loader/worker-script.ts). Without it the worker loads dist/loader/parse-worker.js and yaml's modules.
try {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  const esbuild = await import(pathToFileURL(fromTsx.resolve('esbuild')).href);
  await esbuild.build({
    entryPoints: [join(src, 'loader', 'parse-worker.ts')], outfile: join(dist, 'loader', 'parse-worker.cjs'),
    bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning',
    // A CommonJS bundle has no import.meta: the modules that find files beside them (schema/) get the bundle's URL.
    banner: { js: "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__bundleUrl' },
  });
} catch (err) {
  console.warn(`kradle build: parse worker not bundled (${err.message}); workers will load dist/loader/parse-worker.js`);
}
// `kradle validate` as one ES module with its dependencies (yaml, ajv, isomorphic-git), in place of its compiled
// module: Node 20 loads ~160 modules one by one in ~0.1 s, a CI job's whole budget for start-up; one file loads in
// a third of that. A module that finds files from where it lies (schemas/, the worker bundle, compiled validators)
// gets its own compiled file's URL, made from the bundle's, so dist/ still moves as a whole. Without it the
// compiled modules load one by one, as every other command's do.
try {
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  const esbuild = await import(pathToFileURL(fromTsx.resolve('esbuild')).href);
  const outfile = join(dist, 'cli', 'commands', 'validate.js');
  const ownUrl = {
    name: 'own-module-url',
    setup(b) {
      // errors/ stays the compiled module main.js loads too: one class per error, or instanceof fails between
      // the bundle's copy and cli/output's (an error would print without its code and details).
      b.onResolve({ filter: /errors\/index\.ts$/ }, (args) => {
        const target = join(args.resolveDir, args.path);
        if (target !== join(src, 'errors', 'index.ts')) return undefined;
        return { path: relative(dirname(outfile), join(dist, 'errors', 'index.js')).split(sep).join('/'), external: true };
      });
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (!args.path.startsWith(src)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        const compiled = join(dist, relative(src, args.path)).replace(/\.ts$/, '.js');
        const rel = relative(dirname(outfile), compiled).split(sep).join('/');
        // The expression, not a string that names it (worker-script.ts defines it for a bundle of its own).
        const contents = text.replace(/(?<!['"`])\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(rel)}, import.meta.url).href`);
        return { contents, loader: 'ts' };
      });
    },
  };
  await esbuild.build({
    entryPoints: [join(src, 'cli', 'commands', 'validate.ts')], outfile, allowOverwrite: true,
    bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', plugins: [ownUrl],
    // isomorphic-git (with pako) is half of the bundle, and a local repository is read without it (source/objects.ts
    // imports it only for what the packs and loose objects do not answer): loaded from node_modules when needed.
    external: ['isomorphic-git', 'isomorphic-git/*'],
    // CommonJS dependencies (ajv) require Node's modules: an ES module has no `require` of its own.
    banner: { js: "import { createRequire as __kradleRequire } from 'node:module'; const require = __kradleRequire(import.meta.url);" },
  });
} catch (err) {
  console.warn(`kradle build: validate not bundled (${err.message}); it loads its compiled modules one by one`);
}
// ajv's standalone code for every schema, so a start-up loads generated validators instead of compiling
// schemas (src/schema/precompiled.ts). Without them the compiled CLI still works, compiling as the sources do.
try {
  const { precompileSchemas } = await import(new URL('../dist/schema/precompiled.js', import.meta.url).href);
  const n = precompileSchemas(join(root, 'schemas'), join(dist, 'schema', 'compiled'));
  console.log(`kradle build: ${n} schema validators precompiled`);
} catch (err) {
  console.warn(`kradle build: schema validators not precompiled (${err.message}); they will be compiled at run time`);
}
writeFileSync(join(dist, 'BUILD.json'), `${JSON.stringify({ builtAt: started })}\n`);
console.log(`kradle build: dist/ compiled in ${((Date.now() - started) / 1000).toFixed(1)} s`);
