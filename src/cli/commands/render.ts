import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RENDERED_FILE, renderManifests, renderObjects } from '../../cluster/index.ts';
import { formatDetail } from '../../errors/index.ts';
import { createLoader } from '../../loader/index.ts';
import type { Command } from '../main.ts';
import { openSource, snapshotAt } from '../open-source.ts';

const USAGE = 'usage: kradle render [--repo PATH|URL] [--rev REV] [--path DIR] [--now ISO-TIME] --out DIR';

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: 'string', default: '.' },
      rev: { type: 'string' },
      path: { type: 'string' },
      out: { type: 'string' },
      now: { type: 'string' },
    },
    strict: true,
  });
  return values;
}

/** Replaces what an earlier render wrote, so an object that left the revision does not linger in DIR. */
async function writeManifests(out: string, files: { file: string; content: string }[]): Promise<void> {
  await mkdir(out, { recursive: true });
  for (const f of await readdir(out)) if (RENDERED_FILE.test(f)) await rm(join(out, f));
  for (const f of files) await writeFile(join(out, f.file), f.content);
}

export const command: Command = {
  summary: 'write every object a revision would apply (CRDs included) as YAML for kubectl apply -f DIR',
  usage: USAGE,
  async run(argv) {
    let opts: ReturnType<typeof parse>;
    try {
      opts = parse(argv);
    } catch (err) {
      console.error(`kradle render: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const now = opts.now ? new Date(opts.now) : new Date();
    if (!opts.out || Number.isNaN(now.getTime())) {
      console.error(USAGE);
      return 2;
    }
    // As validate does: --rev alone decides what is read, so a HEAD branch without commits (a bare
    // mirror whose HEAD names master) does not stop rendering another revision.
    const source = await openSource({ repo: opts.repo, path: opts.path });
    const snapshot = await snapshotAt(source, opts.rev, opts.path);
    const commit = snapshot.revision;
    const result = await createLoader().load(snapshot);
    if (!result.ok) {
      console.error(`kradle render: revision ${commit} is invalid (${result.errors.length} errors); nothing written`);
      for (const e of result.errors) console.error(`  ${formatDetail(e)}`);
      return 1;
    }
    const files = renderManifests(renderObjects(result.state, { now }));
    await writeManifests(opts.out, files);
    console.log(`wrote ${files.length} objects for revision ${commit} to ${opts.out}`);
    return 0;
  },
};
