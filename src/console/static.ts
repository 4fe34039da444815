import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Middleware } from 'koa';
import type { ApiState } from '../api/context.ts';

const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));
const require = createRequire(import.meta.url);
/** A package's folder, found from its main file (not every package exports its package.json). */
function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/**
 * Served as the browser asks for them, with no build step: the console's own modules, and Preact, its hooks,
 * htm and yaml's browser build straight from node_modules. Bare `preact` imports inside the hooks module are
 * pointed at our copy, so no import map (an inline script the CSP would have to allow) is needed.
 */
function loadFiles(): Map<string, { body: Buffer; type: string }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  const add = (url: string, path: string, rewrite?: (s: string) => string) => {
    const text = readFileSync(path);
    files.set(url, { body: rewrite ? Buffer.from(rewrite(text.toString('utf8'))) : text, type: TYPES[extname(path)] ?? 'application/octet-stream' });
  };
  const walk = (dir: string, base: string, urlPrefix: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full, base, urlPrefix);
      else if (TYPES[extname(name)]) add(`${urlPrefix}${relative(base, full).split(sep).join('/')}`, full);
    }
  };
  walk(PUBLIC_DIR, PUBLIC_DIR, '/console/');
  const preact = packageDir('preact');
  add('/console/vendor/preact.mjs', join(preact, 'dist/preact.mjs'));
  add('/console/vendor/hooks.mjs', join(preact, 'hooks/dist/hooks.mjs'), (s) => s.replace(/from\s*"preact"/g, 'from"./preact.mjs"'));
  add('/console/vendor/htm.mjs', join(packageDir('htm'), 'dist/htm.module.js'));
  const yamlDist = join(packageDir('yaml'), 'browser/dist');
  walk(yamlDist, yamlDist, '/console/vendor/yaml/');
  return files;
}

let cache: ReturnType<typeof loadFiles> | undefined;
/** Every file the console serves, by URL (for the bundle-size bench and the tests). */
export function CONSOLE_FILES(): ReadonlyMap<string, { body: Buffer; type: string }> {
  return (cache ??= loadFiles());
}

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** GET / and /console/*: the single-page console; everything else goes on to the API. */
export function consoleMiddleware(): Middleware<ApiState> {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    const url = ctx.path === '/' ? '/console/index.html' : ctx.path;
    if (!url.startsWith('/console/')) return next();
    const file = CONSOLE_FILES().get(url);
    if (!file) return next();
    ctx.state.route = url.startsWith('/console/vendor/') ? '/console/vendor/*' : '/console/*';
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    // Vendored modules change only with package-lock; the console's own files with a deploy: revalidate those.
    ctx.set('Cache-Control', url.startsWith('/console/vendor/') ? 'public, max-age=3600' : 'no-cache');
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
