import { resolveKind, type Resource } from '../../kinds/index.ts';
import { apiPath, clientFromFlags, CONNECTION_USAGE, formatOf, parseCommand, runRemote, UsageError, type ApiClient } from '../client.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle list KIND --org ORG [--selector S] [--limit N] [--chunk-size N] [--format text|json]
  config kinds: NAME, SYNC, HEALTH, AGE; runtime kinds: NAME, PHASE, AGE
  kradle list organizations (no --org): the organizations the token may see
  without --limit every page is read (continue tokens), --chunk-size items per request (default 500)
${CONNECTION_USAGE}`;

interface Page {
  items: Resource[];
  continue?: string;
}

interface ObjectStatus {
  syncStatus?: string;
  health?: string;
}

// gitops-engine's order: the worst health of the produced objects is the resource's health.
const HEALTH_ORDER = ['Degraded', 'Missing', 'Progressing', 'Suspended', 'Unknown', 'Healthy'];
const STATUS_CONCURRENCY = 8;

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

async function readItems(client: ApiClient, org: string, query: Record<string, string | number | undefined>, follow: boolean): Promise<Resource[]> {
  const items: Resource[] = [];
  let token: string | undefined;
  do {
    const { body } = await client.request<Page>('GET', apiPath`/api/orgs/${org}/resources`, { query: { ...query, continue: token } });
    items.push(...body.items);
    token = follow ? body.continue : undefined;
  } while (token);
  return items;
}

/** The list route returns config documents as declared; their sync status comes from each resource's GET. */
async function withStatus(client: ApiClient, org: string, items: Resource[]): Promise<Resource[]> {
  const out = [...items];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < out.length; i = next++) {
      const r = out[i]!;
      if (r.status) continue;
      out[i] = (await client.request<Resource>('GET', apiPath`/api/orgs/${org}/resources/${r.kind}/${r.metadata.name}`)).body;
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATUS_CONCURRENCY, out.length) }, worker));
  return out;
}

function syncOf(objects: ObjectStatus[]): string {
  if (!objects.length) return 'Unknown';
  return objects.find((o) => o.syncStatus !== 'Synced')?.syncStatus ?? 'Synced';
}

function healthOf(objects: ObjectStatus[]): string {
  if (!objects.length) return 'Unknown';
  const rank = (h?: string) => (HEALTH_ORDER.includes(h ?? '') ? HEALTH_ORDER.indexOf(h!) : HEALTH_ORDER.indexOf('Unknown'));
  return HEALTH_ORDER[Math.min(...objects.map((o) => rank(o.health)))]!;
}

/** 45s, 12m, 5h, 3d: the kubectl style. */
export function age(since: string | undefined, now = Date.now()): string {
  const t = since ? Date.parse(since) : NaN;
  if (Number.isNaN(t)) return '-';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function rowsOf(items: Resource[], runtime: boolean): string[][] {
  if (runtime) {
    return [['NAME', 'PHASE', 'AGE'], ...items.map((r) => [r.metadata.name, String(r.status?.phase ?? '-'), age(r.metadata.creationTimestamp)])];
  }
  return [['NAME', 'SYNC', 'HEALTH', 'AGE'], ...items.map((r) => {
    const objects = ((r.status?.objects ?? []) as ObjectStatus[]);
    return [r.metadata.name, syncOf(objects), healthOf(objects), age(r.metadata.creationTimestamp)];
  })];
}

function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 2))).join(''));
}

interface OrgView {
  slug: string;
  displayName: string;
  namespace: string;
}

/** Organizations are platform-scoped: GET /api/orgs lists those the token may see. */
async function listOrganizations(client: ApiClient, format: 'text' | 'json'): Promise<number> {
  const { organizations } = (await client.request<{ organizations: OrgView[] }>('GET', '/api/orgs')).body;
  if (format === 'json') console.log(JSON.stringify({ items: organizations }, null, 2));
  else printTable([['NAME', 'DISPLAY NAME', 'NAMESPACE'], ...organizations.map((o) => [o.slug, o.displayName, o.namespace])]);
  return 0;
}

/** GET /api/orgs/:org/resources?kind=, every page unless --limit, as a table or JSON. */
export const command: Command = {
  summary: 'list resources of one kind from a running server',
  usage: USAGE,
  run: (argv) =>
    runRemote('list', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, {
        org: { type: 'string' }, selector: { type: 'string', short: 'l' }, limit: { type: 'string' }, 'chunk-size': { type: 'string' },
      });
      if (values.help) return console.log(USAGE), 0;
      const [kind, ...extra] = positionals;
      if (!kind || extra.length) throw new UsageError('expected one KIND');
      const format = formatOf(values.format, ['text', 'json'], 'text');
      if (resolveKind(kind)?.kind === 'Organization') return listOrganizations(clientFromFlags(values), format);
      if (!values.org) throw new UsageError('--org is required');
      const limit = positiveInt('--limit', values.limit);
      const chunk = positiveInt('--chunk-size', values['chunk-size']) ?? 500;
      const client = clientFromFlags(values);
      const query = { kind, labelSelector: values.selector, limit: limit ?? chunk };
      let items = await readItems(client, values.org, query, limit === undefined);
      const runtime = resolveKind(kind)?.storage === 'runtime';
      if (!runtime) items = await withStatus(client, values.org, items);
      if (format === 'json') console.log(JSON.stringify({ items }, null, 2));
      else if (!items.length) console.error(`no ${kind} in org ${values.org}`);
      else printTable(rowsOf(items, runtime));
      return 0;
    }),
};
