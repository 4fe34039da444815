import { parseArgs } from 'node:util';
import { formatDetail, formatWarning } from '../../errors/index.ts';
import { createLoader, prestartParseWorkers, summaryOf, type CheckResult, type LoadResult } from '../../loader/index.ts';
import { failCommand, UsageError } from '../client.ts';
import type { Command } from '../main.ts';
import { indexedManyFiles, openSource, parseFormat, snapshotAt, SOURCE_FLAGS, uncommittedChanges, worktreeSnapshot } from '../open-source.ts';

const USAGE = `usage: kradle validate [--repo PATH|URL] [--rev REV | --worktree] [--path DIR] [--format text|json]
  validates a commit (default: HEAD); --worktree, or a --repo that is a plain directory, validates the files on disk
  exit 0 valid, 1 invalid; warnings (a spec field the kind does not know, UNKNOWN_FIELD) go to stderr and never fail it`;

/** The JSON form of a load or check result, shared with `kradle diff`; warnings either way (they never invalidate). */
export function loadResultJson(r: LoadResult | CheckResult) {
  if (!r.ok) return { valid: false, revision: r.revision, errors: r.errors, warnings: r.warnings, stats: r.stats };
  const s = 'state' in r ? summaryOf(r.state) : r;
  return { valid: true, revision: s.revision, resources: s.resources, orgs: s.orgs, kinds: s.kinds, errors: [], warnings: r.warnings, stats: r.stats };
}

export const command: Command = {
  summary: 'validate the config repo at a revision: every error as path:line:column: CODE message',
  usage: USAGE,
  // It reads the repository and prints: once it returns, only the heap's teardown is left.
  exitsWhenDone: true,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...SOURCE_FLAGS, rev: { type: 'string' }, worktree: { type: 'boolean' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) return console.log(USAGE), 0;
    if (positionals.length) return failCommand('validate', argv, new UsageError(`unexpected ${positionals.join(' ')}`), USAGE);
    const format = parseFormat(values.format);
    if (values.worktree && values.rev) return failCommand('validate', argv, new UsageError('--worktree validates the files on disk; it takes no --rev'), USAGE);
    const onDisk = await worktreeSnapshot(values);
    // A large revision is parsed on workers: started now, they boot while it is resolved and listed.
    if (!onDisk && indexedManyFiles(values)) prestartParseWorkers();
    const source = onDisk ? undefined : await openSource(values);
    const snapshot = onDisk ?? (await snapshotAt(source!, values.rev, values.path));
    // Validating HEAD of a working tree with edits on disk passes or fails what is committed, not what the
    // author sees: say so, and how to validate the files instead.
    // The comparison stats every YAML file on disk: it runs beside the load, on a parse worker once the parse
    // leaves one idle (the main thread finishes the load alone then), else on this thread meanwhile.
    // Validation needs no desired state: check builds none, and hashes nothing.
    const load = createLoader().check(snapshot);
    const [unseen, result] = await Promise.all([
      onDisk || values.rev !== undefined ? [] : uncommittedChanges(values, snapshot, load),
      load,
    ]);
    if (format === 'json') console.log(JSON.stringify({ ...loadResultJson(result), ...(unseen.length ? { uncommitted: unseen } : {}) }, null, 2));
    else printText(result);
    if (unseen.length) {
      const list = unseen.slice(0, 5).join(', ') + (unseen.length > 5 ? `, and ${unseen.length - 5} more` : '');
      console.error(`note: validated commit ${snapshot.revision} (${source!.ref}); ${unseen.length} uncommitted YAML change${unseen.length === 1 ? ' was' : 's were'} not included (${list}): commit ${unseen.length === 1 ? 'it' : 'them'}, or validate the files on disk with kradle validate --worktree`);
    }
    return result.ok ? 0 : 1;
  },
};

function printText(r: CheckResult): void {
  // On stderr, kubectl's way: stdout keeps the result a script reads, and a warning never changes the exit code.
  if (r.warnings.length) console.error(r.warnings.map(formatWarning).join('\n'));
  if (r.ok) {
    console.log(`valid: ${r.revision.slice(0, 12)}: ${r.resources} resources in ${r.stats.files} files, orgs ${r.orgs.join(', ') || '(none)'}`);
    return;
  }
  // One write: thousands of errors are as many system calls when written one line at a time.
  const lines = r.errors.map((e) => formatDetail(e));
  lines.push(`invalid: ${r.revision.slice(0, 12)}: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`);
  console.log(lines.join('\n'));
}
