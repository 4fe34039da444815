import { apiPath, clientFromFlags, CONNECTION_USAGE, describeDetail, formatOf, parseCommand, runRemote, UsageError, type ApiClient } from '../client.ts';
import type { ErrorDetail } from '../../errors/index.ts';
import type { Command } from '../main.ts';

const USAGE = `usage: kradle status [--org ORG] [--format text|json]
  the sync status of the server (GET /api/sync) and, with --org, the org's summary
${CONNECTION_USAGE}`;

interface SyncRunView {
  id: number;
  revision: string;
  outcome: string;
  startedAt: string;
  finishedAt: string | null;
  errors: ErrorDetail[];
}

export interface SyncView {
  state: string;
  syncedRevision?: string;
  fetchedRevision?: string;
  clusterReachable: boolean;
  /** plan-only when the server has no cluster: nothing is applied, so "reachable" would mislead. */
  mode?: string;
  sourceReachable?: boolean;
  message?: string;
  lastRun?: SyncRunView;
  configErrorCount?: number;
}

interface SummaryView {
  org: string;
  revision?: string;
  resources: { total: number; byKind: Record<string, number> };
  objects: { total: number; bySyncStatus: Record<string, number>; byHealth: Record<string, number> };
  lastSyncRun: SyncRunView | null;
  configErrors: ErrorDetail[];
}

const counts = (c: Record<string, number>) => Object.entries(c).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
const reach = (ok: boolean | undefined) => (ok === false ? 'unreachable' : 'reachable');

export function syncLines(s: SyncView): string[] {
  const lines = [
    `state:             ${s.state}${s.message ? ` (${s.message})` : ''}`,
    `synced revision:   ${s.syncedRevision ?? '-'}`,
    `fetched revision:  ${s.fetchedRevision ?? '-'}`,
    `source:            ${reach(s.sourceReachable)}`,
    `cluster:           ${s.mode === 'plan-only' ? 'not connected (plan-only: objects are planned, never applied)' : reach(s.clusterReachable)}`,
  ];
  if (s.lastRun) lines.push(`last run:          #${s.lastRun.id} ${s.lastRun.outcome} at ${s.lastRun.revision} (${s.lastRun.finishedAt ?? s.lastRun.startedAt})`);
  if (s.configErrorCount !== undefined) lines.push(`config errors:     ${s.configErrorCount}`);
  return lines;
}

function summaryLines(s: SummaryView): string[] {
  const lines = [
    '',
    `org ${s.org} at revision ${s.revision ?? '-'}`,
    `resources:         ${s.resources.total} (${counts(s.resources.byKind)})`,
    `objects:           ${s.objects.total}`,
    `  sync:            ${counts(s.objects.bySyncStatus)}`,
    `  health:          ${counts(s.objects.byHealth)}`,
  ];
  // A run refused for the config's errors holds those same errors: each is printed once.
  const errors = [...new Set([...s.configErrors, ...(s.lastSyncRun?.errors ?? [])].map((e) => describeDetail(e)))];
  if (errors.length) lines.push('errors:', ...errors.map((e) => `  ${e}`));
  return lines;
}

/** Reads the status views; shared with `kradle sync`, which prints the same after triggering. */
export async function readStatus(client: ApiClient, org?: string): Promise<{ sync: SyncView; summary?: SummaryView }> {
  const sync = (await client.request<SyncView>('GET', '/api/sync')).body;
  if (!org) return { sync };
  return { sync, summary: (await client.request<SummaryView>('GET', apiPath`/api/orgs/${org}/summary`)).body };
}

export function printStatus(view: { sync: SyncView; summary?: SummaryView }, format: 'text' | 'json'): void {
  if (format === 'json') return console.log(JSON.stringify(view, null, 2));
  console.log([...syncLines(view.sync), ...(view.summary ? summaryLines(view.summary) : [])].join('\n'));
}

/** GET /api/sync, plus GET /api/orgs/:org/summary with --org. */
export const command: Command = {
  summary: 'show the sync status of a running server (and an org summary with --org)',
  usage: USAGE,
  run: (argv) =>
    runRemote('status', USAGE, argv, async () => {
      const { values, positionals } = parseCommand(argv, { org: { type: 'string' } });
      if (values.help) return console.log(USAGE), 0;
      if (positionals.length) throw new UsageError(`unexpected ${positionals.join(' ')}`);
      const format = formatOf(values.format, ['text', 'json'], 'text');
      printStatus(await readStatus(clientFromFlags(values), values.org), format);
      return 0;
    }),
};
