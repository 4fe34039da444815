import { parseArgs } from 'node:util';
import { formatDetail, formatWarning } from '../../errors/index.ts';
import { createLoader } from '../../loader/index.ts';
import { diffJson, diffStates, type FieldChange, type StateDiff } from '../../plan/index.ts';
import { failCommand, UsageError } from '../client.ts';
import type { Command } from '../main.ts';
import { openSource, parseFormat, snapshotAt, SOURCE_FLAGS } from '../open-source.ts';

const USAGE = `usage: kradle diff BASE HEAD [--repo PATH|URL] [--path DIR] [--format text|json|markdown]
  HEAD's warnings (a spec field the kind does not know, UNKNOWN_FIELD) go to stderr, or to the JSON's warnings`;

export const command: Command = {
  summary: 'resource-level plan between two revisions: created, changed (field diff), deleted',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...SOURCE_FLAGS, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) return console.log(USAGE), 0;
    if (positionals.length !== 2) return failCommand('diff', argv, new UsageError('need BASE and HEAD'), USAGE);
    if (values.format === 'markdown') return (await import('./preview.ts')).printPreview(values, positionals[0]!, positionals[1]!);
    const format = parseFormat(values.format);
    const source = await openSource(values);
    const [baseSnap, headSnap] = [await snapshotAt(source, positionals[0], values.path), await snapshotAt(source, positionals[1], values.path)];
    // One loader for both: blobs the two revisions share are parsed once.
    const loader = createLoader();
    const base = await loader.load(baseSnap);
    const head = await loader.load(headSnap);
    // Head's warnings, as kradle validate of it prints them: on stderr (stdout keeps the diff), or in the JSON.
    if (format === 'text' && head.warnings.length) console.error(head.warnings.map(formatWarning).join('\n'));
    // An invalid side has no desired state to diff: diffing it as "nothing" would show the whole repo as created.
    for (const [side, r] of [['BASE', base], ['HEAD', head]] as const) {
      if (r.ok) continue;
      if (format === 'json') console.log(JSON.stringify({ valid: false, side, revision: r.revision, errors: r.errors, warnings: head.warnings }, null, 2));
      else {
        for (const e of r.errors) console.log(formatDetail(e));
        console.log(`invalid: ${side} ${r.revision.slice(0, 12)}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`);
      }
    }
    if (!base.ok || !head.ok) return 1;
    const diff = diffStates(base.state, head.state);
    console.log(format === 'json' ? JSON.stringify({ ...diffJson(diff), warnings: head.warnings }, null, 2) : diffText(diff));
    return 0;
  },
};

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v));

function changeLine(c: FieldChange): string {
  if (c.op === 'add') return `      + ${c.pointer}: ${show(c.to)}`;
  if (c.op === 'remove') return `      - ${c.pointer}: ${show(c.from)}`;
  return `      ~ ${c.pointer}: ${show(c.from)} -> ${show(c.to)}`;
}

export function diffText(d: StateDiff): string {
  const lines = [
    `diff ${d.baseRevision?.slice(0, 12) ?? '(none)'}..${d.headRevision.slice(0, 12)}: ` +
      `${d.created.length} created, ${d.changed.length} changed, ${d.deleted.length} deleted, ${d.unchanged} unchanged`,
  ];
  for (const r of d.created) lines.push(`  + ${r.key}  (${r.source.path})`);
  for (const c of d.changed) lines.push(`  ~ ${c.key}  (${c.head.source.path})`, ...c.changes.map(changeLine));
  for (const r of d.deleted) lines.push(`  - ${r.key}  (was ${r.source.path})`);
  return lines.join('\n');
}
