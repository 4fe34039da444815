import { readFile } from 'node:fs/promises';
import { LineCounter, parseAllDocuments } from 'yaml';
import { ApiError, apiPath, clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, reportError, runRemote, UsageError, type ApiClient } from '../client.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle apply -f FILE [--org ORG] [--mode commit|pull-request] [--if-match REV] [--format text|json]
  applies every document of FILE (multi-document YAML or JSON; - for stdin); config kinds become one commit each
  the org of a document is --org, else its spec.organizationRef (Organization documents: their slug)
${CONNECTION_USAGE}`;

interface Doc {
  kind: string;
  name: string;
  org: string;
  body: Record<string, unknown>;
}

interface Outcome {
  kind: string;
  name: string;
  org: string;
  operation?: string;
  commit?: string;
  branch?: string;
  path?: string;
  resourceVersion?: string;
  error?: { status: number; code: string; message: string; details: unknown[] };
}

class FileError extends Error {}

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
  return docs.map((d) => d.toJS() as unknown).filter((v) => v != null).map((v, i) => {
    const body = v as Record<string, unknown>;
    const meta = (body?.metadata ?? {}) as Record<string, unknown>;
    const spec = (body?.spec ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || typeof body.kind !== 'string') throw new FileError(`${file}: document ${i + 1} has no kind`);
    const name = String(meta.name ?? '');
    const own = body.kind === 'Organization' ? spec.slug ?? meta.name : spec.organizationRef;
    const org = orgFlag ?? (typeof own === 'string' ? own : undefined);
    if (!org) throw new UsageError(`${file}: ${body.kind}/${name} names no org: pass --org or set spec.organizationRef`);
    return { kind: body.kind, name, org, body };
  });
}

async function send(client: ApiClient, doc: Doc, mode?: string, ifMatch?: string): Promise<Outcome> {
  const headers: Record<string, string> = ifMatch ? { 'if-match': `"${ifMatch}"` } : {};
  const { kind, name, org } = doc;
  if (kind === 'Organization') {
    // Organizations are platform-scoped: the org route builds the document from slug and displayName.
    const spec = (doc.body.spec ?? {}) as Record<string, unknown>;
    const { body } = await client.request<Outcome>('POST', '/api/orgs', { body: { slug: org, displayName: spec.displayName ?? org }, headers });
    return { kind, name, org, operation: 'create', commit: body.commit, branch: body.branch, path: body.path };
  }
  const { body } = await client.request<Outcome & { resource?: { metadata?: { resourceVersion?: string } } }>('POST', apiPath`/api/orgs/${org}/resources`, { body: doc.body, query: { mode }, headers });
  return { kind, name, org, operation: body.operation, commit: body.commit, branch: body.branch, path: body.path, resourceVersion: body.resource?.metadata?.resourceVersion };
}

function describe(o: Outcome): string {
  const verb = o.operation === 'create' ? 'created' : o.operation === 'update' ? 'configured' : String(o.operation);
  if (o.commit) return `${o.kind}/${o.name} ${verb}: commit ${o.commit}${o.branch ? ` on ${o.branch}` : ''}${o.path ? ` (${o.path})` : ''}`;
  return `${o.kind}/${o.name} ${verb}${o.resourceVersion ? `: resourceVersion ${o.resourceVersion}` : ''}`;
}

/** POST /api/orgs/:org/resources per document; a refused document does not stop the others, a dead server does. */
export const command: Command = {
  summary: 'apply every document of a YAML file through a running server (a commit each)',
  usage: USAGE,
  run: (argv) =>
    runRemote('apply', USAGE, async () => {
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
        console.error(err.message);
        return 1;
      }
      if (!docs.length) throw new UsageError(`${values.file} holds no documents`);
      const outcomes: Outcome[] = [];
      let code = 0;
      for (const doc of docs) {
        try {
          const o = await send(client, doc, values.mode, values['if-match']);
          outcomes.push(o);
          if (format === 'text') console.log(describe(o));
        } catch (err) {
          if (!(err instanceof ApiError) || err.status >= 500) throw err;
          outcomes.push({ kind: doc.kind, name: doc.name, org: doc.org, error: { status: err.status, code: err.code, message: err.message, details: err.details } });
          code = Math.max(code, reportError(`apply ${doc.kind}/${doc.name}`, err));
        }
      }
      if (format === 'json') console.log(JSON.stringify(outcomes, null, 2));
      return code;
    }),
};
