import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ApiError, apiPath, clientFromFlags, CONNECTION_USAGE, failCommand, formatOf, parseCommand, reportError, runRemote, UsageError, type ApiClient } from '../client.ts';
import { BadRequestError, formatWarning, type ErrorDetail } from '../../errors/index.ts';
import { printErrorJson } from '../output.ts';
import { resolveKind } from '../../kinds/index.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle apply -f FILE [--org ORG] [--mode commit|pull-request] [--if-match REV] [--format text|json]
  applies every document of FILE (multi-document YAML or JSON; - for stdin) through a running server:
  config kinds of one org become ONE validated commit, or none when any document is invalid; documents
  that change nothing are reported unchanged and make no commit; new files keep the text and comments
  as written. --mode pull-request proposes the commit on a branch instead (preview it with kradle preview).
  An Organization goes alone in its file; runtime kinds (store records) are applied one by one.
  the org of a document is --org, else its spec.organizationRef (Organization documents: their slug)
${CONNECTION_USAGE}`;

interface Doc {
  kind: string;
  name: string;
  org: string;
  body: Record<string, unknown>;
  /** The document's text as written (comments included), for a new file. */
  source: string;
}

interface Outcome {
  kind: string;
  name: string;
  org: string;
  operation?: string;
  commit?: string;
  branch?: string;
  /** pull-request mode: the branch the proposal is to be compared with. */
  base?: string;
  path?: string;
  resourceVersion?: string;
  /** Config kinds: what the written document ignores (UNKNOWN_FIELD). */
  warnings?: ErrorDetail[];
}

interface BatchResult {
  commit: string;
  branch: string;
  base?: string;
  changed: boolean;
  items: { kind: string; name: string; path: string; operation: string }[];
  warnings?: ErrorDetail[];
}

/** A file that is not documents Kradle can send (YAML errors, a document without kind): exit 1, nothing sent. */
class FileError extends BadRequestError {}

async function readSource(file: string): Promise<string> {
  if (file !== '-') return readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => Promise.reject(new UsageError(`cannot read ${file}: ${err.code ?? err.message}`)));
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Every non-empty document with its org; a YAML error fails the whole file before anything is sent. */
function documentsOf(file: string, text: string, orgFlag?: string): Doc[] {
  const lines = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter: lines });
  const docs = Array.isArray(parsed) ? parsed : [parsed];
  const errors = docs.flatMap((d) => d.errors).map((e) => {
    const { line, col } = lines.linePos(e.pos[0]);
    return `${file}:${line}:${col}: YAML ${e.message.split('\n')[0]}`;
  });
  if (errors.length) throw new FileError(errors.join('\n'));
  // A document's text runs from its start to the next one's (the first owns the file's leading comments).
  const starts = docs.map((d, i) => (i === 0 ? 0 : d.range[0]));
  const texts = docs.map((_, i) => text.slice(starts[i], i + 1 < starts.length ? starts[i + 1] : text.length));
  return docs.map((d, i) => ({ value: d.toJS() as unknown, source: texts[i]! })).filter((d) => d.value != null).map(({ value, source }, i) => {
    const body = value as Record<string, unknown>;
    const meta = (body?.metadata ?? {}) as Record<string, unknown>;
    const spec = (body?.spec ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || typeof body.kind !== 'string') throw new FileError(`${file}: document ${i + 1} has no kind`);
    const name = String(meta.name ?? '');
    const own = body.kind === 'Organization' ? spec.slug ?? meta.name : spec.organizationRef;
    const org = orgFlag ?? (typeof own === 'string' ? own : undefined);
    if (!org) throw new UsageError(`${file}: ${body.kind}/${name} names no org: pass --org or set spec.organizationRef`);
    return { kind: body.kind, name, org, body, source };
  });
}

async function send(client: ApiClient, doc: Doc, mode?: string, ifMatch?: string): Promise<Outcome> {
  const headers: Record<string, string> = ifMatch ? { 'if-match': `"${ifMatch}"` } : {};
  const { kind, name, org } = doc;
  if (kind === 'Organization') {
    // Organizations are platform-scoped: the org route builds the document from slug and displayName.
    const spec = (doc.body.spec ?? {}) as Record<string, unknown>;
    const displayName = spec.displayName ?? org;
    // Applying again what the repo already holds is not an error, as for every other kind: it changes nothing.
    const { organizations } = (await client.request<{ organizations: { slug: string; displayName: string }[] }>('GET', '/api/orgs')).body;
    if (organizations.some((o) => o.slug === org && o.displayName === displayName)) return { kind, name, org, operation: 'unchanged' };
    const { body } = await client.request<Outcome>('POST', '/api/orgs', { body: { slug: org, displayName }, headers });
    return { kind, name, org, operation: 'create', commit: body.commit, branch: body.branch, path: body.path, warnings: body.warnings };
  }
  const { body } = await client.request<Outcome & { resource?: { metadata?: { resourceVersion?: string } } }>('POST', apiPath`/api/orgs/${org}/resources`, { body: doc.body, query: { mode }, headers });
  return { kind, name, org, operation: body.operation, commit: body.commit, branch: body.branch, path: body.path, resourceVersion: body.resource?.metadata?.resourceVersion, warnings: body.warnings };
}

function describe(o: Outcome, proposing: boolean): string {
  if (o.operation === 'unchanged') return `${o.kind}/${o.name} unchanged${o.path ? ` (${o.path})` : ''}: no commit`;
  const where = o.path ? ` (${o.path})` : '';
  if (proposing && o.branch) return `${o.kind}/${o.name} proposed on branch ${o.branch}${where}`;
  const verb = o.operation === 'create' ? 'created' : o.operation === 'update' ? 'configured' : String(o.operation);
  if (o.commit) return `${o.kind}/${o.name} ${verb}: commit ${o.commit}${o.branch ? ` on ${o.branch}` : ''}${where}`;
  return `${o.kind}/${o.name} ${verb}${o.resourceVersion ? `: resourceVersion ${o.resourceVersion}` : ''}`;
}

/** How to look at a proposal before merging it: the same preview a pull request gets. */
function previewHint(base: string | undefined, branch: string): string {
  const b = base ?? 'main';
  return `preview it: kradle preview --base ${b} --head ${branch} (or kradle diff ${b} ${branch}) in a clone of the config repo, or POST /api/previews {"base":"${b}","head":"${branch}"}`;
}

/**
 * What a file may hold so that it is applied whole or not at all: config documents of one org (one commit),
 * or runtime records, or one Organization. Anything else is refused before a request is sent.
 */
function checkShape(file: string, docs: Doc[]): 'config' | 'runtime' | 'organization' {
  const kinds = docs.map((d) => (d.kind === 'Organization' ? 'organization' : resolveKind(d.kind)?.storage === 'runtime' ? 'runtime' : 'config'));
  if (kinds.includes('organization')) {
    if (docs.length > 1) throw new UsageError(`${file}: an Organization is created on its own (POST /api/orgs, one commit): put it in a file of its own`);
    return 'organization';
  }
  if (new Set(kinds).size > 1) throw new UsageError(`${file}: config and runtime kinds in one file cannot be applied as one change: split them`);
  const orgs = [...new Set(docs.map((d) => d.org))];
  if (kinds[0] === 'config' && orgs.length > 1) throw new UsageError(`${file}: documents of several orgs (${orgs.join(', ')}) cannot be one commit: one file per org`);
  return kinds[0] as 'config' | 'runtime';
}

async function sendBatch(client: ApiClient, docs: Doc[], mode?: string, ifMatch?: string): Promise<{ outcomes: Outcome[]; warnings: ErrorDetail[] }> {
  const org = docs[0]!.org;
  const headers: Record<string, string> = ifMatch ? { 'if-match': `"${ifMatch}"` } : {};
  const { body } = await client.request<BatchResult>('POST', apiPath`/api/orgs/${org}/resources/batch`, {
    body: { items: docs.map((d) => ({ resource: d.body, source: d.source })) }, query: { mode }, headers,
  });
  const outcomes = body.items.map((item) => ({
    kind: item.kind, name: item.name, org, operation: item.operation, path: item.path,
    ...(item.operation === 'unchanged' ? {} : { commit: body.commit, branch: body.branch, ...(body.base ? { base: body.base } : {}) }),
  }));
  return { outcomes, warnings: body.warnings ?? [] };
}

/**
 * The failures of runtime records applied one by one, as ONE error envelope for --format json: the first one's code,
 * and each refused document's details named from the file's documents as a batch names them (`items[i].resource.x`).
 */
function refusals(failed: { index: number; doc: Doc; err: ApiError }[], total: number): ApiError {
  const first = failed[0]!.err;
  const details = failed.flatMap(({ index, doc, err }) =>
    (err.details.length ? err.details : [{ code: err.code, message: `${doc.kind}/${doc.name}: ${err.message}` }]).map((d) => ({ ...d, field: d.field === undefined ? `items[${index}]` : `items[${index}].resource.${d.field}` })));
  const message = `${failed.length} of ${total} document${total === 1 ? ' was' : 's were'} refused (the others were applied): ${failed[0]!.doc.kind}/${failed[0]!.doc.name}: ${first.message}`;
  return new ApiError(Math.max(...failed.map((f) => f.err.status)), first.code, message, details);
}

/**
 * Config documents: POST /api/orgs/:org/resources/batch, one commit or none. Runtime records: one POST each; a
 * refused one does not stop the others, a dead server does.
 */
export const command: Command = {
  summary: 'apply the documents of a YAML file through a running server (one validated commit, or none)',
  usage: USAGE,
  run: (argv) =>
    runRemote('apply', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, {
        file: { type: 'string', short: 'f' }, org: { type: 'string' }, mode: { type: 'string' }, 'if-match': { type: 'string' },
      });
      if (values.help) return console.log(USAGE), 0;
      if (!values.file || positionals.length) throw new UsageError('expected -f FILE');
      if (values.mode && values.mode !== 'commit' && values.mode !== 'pull-request') throw new UsageError('--mode must be commit or pull-request');
      const format = formatOf(values.format, ['text', 'json'], 'text');
      const client = clientFromFlags(values);
      let docs: Doc[];
      try {
        docs = documentsOf(values.file, await readSource(values.file), values.org);
      } catch (err) {
        if (!(err instanceof FileError)) throw err;
        printErrorJson(argv, err);
        console.error(err.message);
        return 1;
      }
      if (!docs.length) throw new UsageError(`${values.file} holds no documents`);
      const shape = checkShape(values.file, docs);
      let code = 0;
      const outcomes: Outcome[] = [];
      const warnings: ErrorDetail[] = [];
      if (shape === 'config') {
        try {
          const sent = await sendBatch(client, docs, values.mode, values['if-match']);
          outcomes.push(...sent.outcomes);
          warnings.push(...sent.warnings);
        } catch (err) {
          if (!(err instanceof ApiError) || err.status >= 500) throw err;
          return failCommand(`apply ${values.file} (nothing was written)`, argv, err);
        }
      } else {
        const failed: { index: number; doc: Doc; err: ApiError }[] = [];
        for (const [index, doc] of docs.entries()) {
          try {
            const outcome = await send(client, doc, values.mode, values['if-match']);
            outcomes.push(outcome);
            warnings.push(...(outcome.warnings ?? []));
          } catch (err) {
            if (!(err instanceof ApiError) || err.status >= 500) throw err;
            failed.push({ index, doc, err });
            reportError(`apply ${doc.kind}/${doc.name}`, err);
          }
        }
        // What was applied is said on stdout in text; with --format json a failure is the envelope, as for every command.
        if (failed.length && format === 'json') return printErrorJson(argv, refusals(failed, docs.length)), 1;
        if (failed.length) code = 1;
      }
      // On stderr, as kradle validate and kubectl print them: stdout keeps what a script reads.
      if (warnings.length) console.error(warnings.map(formatWarning).join('\n'));
      if (format === 'json') return console.log(JSON.stringify(outcomes.map(({ warnings: _w, ...o }) => o), null, 2)), code;
      const proposing = values.mode === 'pull-request';
      for (const o of outcomes) console.log(describe(o, proposing));
      const proposed = proposing ? outcomes.find((o) => o.branch && o.operation !== 'unchanged') : undefined;
      if (proposed) console.log(previewHint(proposed.base, proposed.branch!));
      return code;
    }),
};
