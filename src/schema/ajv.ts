import { createRequire } from 'node:module';
import type { Ajv, Options } from 'ajv';

// Required on first use, not imported: a process whose kinds are all precompiled (dist/, see precompiled.ts)
// never loads ajv's compiler, which costs more at start-up than validating a whole repo.
const require = createRequire(import.meta.url);

/** The one ajv configuration, shared by run-time compiling and the build-time precompiling of the schemas. */
export function newAjv(extra: Options = {}): Ajv {
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  // ajv-formats ships CommonJS; its module object is the plugin.
  const addFormats = require('ajv-formats') as (ajv: Ajv) => Ajv;
  const ajv = new AjvClass({ allErrors: true, strict: false, ...extra });
  addFormats(ajv);
  return ajv;
}
