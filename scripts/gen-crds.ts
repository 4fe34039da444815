// Writes manifests/crds/<plural>.kradle.a5c.ai.yaml for every config kind, from schemas/. Run after gen:schemas.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildCrds, crdFileName, crdYaml } from '../src/cluster/crds.ts';

const dir = fileURLToPath(new URL('../manifests/crds/', import.meta.url));
await mkdir(dir, { recursive: true });
const crds = buildCrds();
const wanted = new Set(crds.map(crdFileName));
// A kind removed from the registry must not leave its CRD behind.
for (const f of await readdir(dir)) if (f.endsWith('.yaml') && !wanted.has(f)) await rm(`${dir}${f}`);
for (const crd of crds) await writeFile(`${dir}${crdFileName(crd)}`, crdYaml(crd));
console.log(`wrote ${crds.length} CRDs to manifests/crds/`);
