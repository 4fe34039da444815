// Writes schemas/<Kind>.json for every kind of the registry. Run after changing src/kinds/.
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildKindSchema } from '../src/kinds/schema-builder.ts';
import { listKinds } from '../src/kinds/index.ts';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
await mkdir(dir, { recursive: true });
for (const def of listKinds()) {
  await writeFile(`${dir}${def.kind}.json`, JSON.stringify(buildKindSchema(def), null, 2) + '\n');
}
console.log(`wrote ${listKinds().length} schemas to schemas/`);
