import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { createAgentWiring } from './agents.ts';
import { createInferencePort } from './inference-port.ts';
import { createLeaderWork } from './leader-work.ts';
import { createKubeSecretsPort } from './secrets-port.ts';
import { createSyncPort } from './sync-port.ts';
import { openConfigRepo } from './config-source.ts';
import { createApiApp, createWebhookDispatcher, PLATFORM_ORG, writerPortFrom, type RouteDef, type TokenService, type WriterPort } from '../api/index.ts';
import { createLiveDriver, createPlanOnlyDriver, healthOf, loadKubeConfig } from '../cluster/index.ts';
import { createLoader, tenantNamespaceOf } from '../loader/index.ts';
import { createSyncController } from '../reconcile/sync/index.ts';
import { createWorktreeWatcher, type RemoteAuth } from '../source/index.ts';
import { createStore } from '../store/index.ts';
import type { DesiredState } from '../loader/types.ts';
import type { LocateFn } from '../writeback/index.ts';

export interface ServerOptions {
  repo: string;
  ref?: string;
  path?: string;
  watch?: boolean;
  auth?: RemoteAuth;
  port: number;
  host: string;
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl?: string;
  stateDir: string;
  dataDir: string;
  kubeconfig?: string;
  env: NodeJS.ProcessEnv;
  gitWebhookSecret?: string;
  pollIntervalMs?: number;
  resyncIntervalMs?: number;
  /** Sync a config repo that declares nothing, pruning everything applied (refused by default). */
  allowEmpty?: boolean;
  /** How often a follower checks whether it became leader (then starts webhooks and Job watches); 2 s by default. */
  leaderCheckMs?: number;
  /** Base URL agent Jobs call back to; default the server's own URL. */
  publicUrl?: string;
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  tokens: TokenService;
  /** Where the first start wrote its platform admin token (mode 0600), when it had to create one. */
  adminTokenFile?: string;
  close(): Promise<void>;
}

/**
 * With no token at all, nobody could use the API (PGlite admits one process, so `kradle token create` cannot
 * run beside the server): the first start creates a platform admin token and writes it to a 0600 file, never
 * to the log, like Argo CD's initial admin secret.
 */
async function bootstrapAdminToken(tokens: TokenService, stateDir: string): Promise<string | undefined> {
  if ((await tokens.list()).length > 0) return undefined;
  const { token } = await tokens.create({ org: PLATFORM_ORG, role: 'admin', subject: 'bootstrap-admin' });
  const file = join(resolve(stateDir), 'admin-token');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return file;
}

/** Builds every part once, joins them, and starts them: the one place Kradle is wired. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const logger = opts.logger ?? pino({ name: 'kradle' });
  // The HTTP server listens before anything else starts: /healthz answers at once, /readyz and every other
  // route answer 503 naming what start-up still waits for, and agent Jobs get a callback URL even when the
  // port is chosen by the system.
  let waitingFor = 'the store';
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/healthz') return json(200, { ok: true, starting: true });
    if (req.url === '/readyz') return json(503, { ok: false, starting: true, waitingFor });
    json(503, { error: { code: 'STARTING', message: `kradle is starting (waiting for ${waitingFor})`, details: [] } });
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(opts.port, opts.host, ok));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
  // Until start-up completes, the listener alone must not keep a process whose start failed alive.
  server.unref();
  logger.info({ url }, 'listening; /readyz says what start-up waits for');

  const store = createStore({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir });
  const applied = await store.migrate();
  logger.info({ driver: store.driver, applied }, 'store ready');
  waitingFor = 'the config repo';

  const writeLoader = createLoader();
  // The writer finds a resource's file from the desired state (bound once the controller exists) instead of
  // reading every file of the repo; before the first load it cannot tell and falls back to its scan.
  let desired: () => DesiredState | undefined = () => undefined;
  const locate: LocateFn = (org, kind, name) => {
    const state = desired();
    return state && { revision: state.revision, path: state.get(kind, org, name)?.source.path };
  };
  const repo = await openConfigRepo({ ...opts, stateDir: resolve(opts.stateDir), writeLoader, locate });
  logger.info({ repo: repo.description }, 'config repo opened');
  if (repo.migrated) logger.warn({ migrated: repo.migrated }, 'config repo moved to a bare repository');
  if (repo.cloneCommand) logger.info({ clone: repo.cloneCommand }, `edit the config repo with git: ${repo.cloneCommand}`);

  waitingFor = 'the cluster driver and the sync controller';
  const kubeConfig = loadKubeConfig({ path: opts.kubeconfig, env: opts.env });
  const driver = kubeConfig ? createLiveDriver({ kubeConfig }) : createPlanOnlyDriver();
  logger.info({ mode: driver.mode }, kubeConfig ? 'cluster: live' : 'cluster: no kubeconfig found, plan-only');

  const loader = createLoader();
  let onState: (s: Parameters<NonNullable<Parameters<typeof createSyncController>[0]['onState']>>[0]) => void = () => {};
  let metrics: ReturnType<typeof createApiApp>['metrics'] | undefined;
  const controller = createSyncController({
    source: repo.source,
    load: (s) => loader.load(s),
    store,
    driver,
    healthOf,
    logger,
    pollIntervalMs: opts.pollIntervalMs,
    resyncIntervalMs: opts.resyncIntervalMs,
    allowEmpty: opts.allowEmpty,
    onState: (s) => onState(s),
    onPass: (outcome, seconds) => {
      metrics?.recordSync(outcome, seconds);
      void metrics?.refreshResources(store).catch((err: unknown) => logger.warn({ err: String(err) }, 'kradle_resources could not be read from the inventory'));
    },
    onFetch: (outcome) => metrics?.recordGitFetch(outcome),
  });
  desired = controller.current;
  const sync = createSyncPort({ controller, source: repo.source, loader: createLoader(), store });
  // Secrets, KServe lookups and agent Jobs live in the namespace the org's document names.
  const namespaceOf = (org: string) => tenantNamespaceOf(controller.current(), org);
  const secrets = createKubeSecretsPort(driver, namespaceOf);

  let writer: WriterPort | undefined;
  if (repo.writer) {
    const port = writerPortFrom(repo.writer);
    // A commit on the tracked branch is picked up at once rather than at the next poll.
    writer = {
      async write(req) {
        const out = await port.write(req);
        if (req.mode === 'commit') void sync.trigger('write-back').catch(() => {});
        return out;
      },
      async writeMany(req) {
        const out = await port.writeMany!(req);
        if (req.mode === 'commit' && out.changed) void sync.trigger('write-back').catch(() => {});
        return out;
      },
    };
  }


  const agents = createAgentWiring({
    store, driver, desired: controller.current, callbackBaseUrl: opts.publicUrl ?? url, logger,
    cacheDir: join(resolve(opts.stateDir), 'cache'),
    // Readiness joins the sync's own Ready/Reconciling/Stalled on the AgentStack's status, merged by type.
    // The key comes from the desired state: an org may name its namespace (spec.namespaceName).
    onStackReadiness: async (r) => {
      const key = controller.current()?.get('AgentStack', r.org, r.stack)?.key;
      if (!key) return;
      await controller.statusWriter.setExtraConditions(key, r.conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })));
    },
  });
  const app = createApiApp({
    store,
    config: { current: controller.current, lastError: controller.lastError },
    sync,
    writer,
    secrets,
    inference: createInferencePort(driver, { namespaceOf }),
    statusOf: (key) => controller.statusWriter.current(key),
    logger,
    gitWebhookSecret: opts.gitWebhookSecret,
    syncedBranch: () => repo.source.ref,
    extraRoutes: agents.routes as unknown as RouteDef[],
  });
  metrics = app.metrics;
  onState = (state) => {
    agents.onState(state);
    void sync.refreshLastRun();
  };

  await controller.start();
  let agentsLeading = false;
  const leaderWork = createLeaderWork({
    isLeader: () => controller.status().leader,
    logger,
    intervalMs: opts.leaderCheckMs,
    async start() {
      const dispatcher = createWebhookDispatcher({ store, secrets, config: { current: controller.current, lastError: controller.lastError }, fetch, logger });
      await dispatcher.start();
      app.webhookDispatcher = dispatcher;
      // The agents wiring has no way to stop its Job watch alone, so it starts once per process.
      if (!agentsLeading) await agents.startLeaderWork();
      agentsLeading = true;
    },
    async stop() {
      const dispatcher = app.webhookDispatcher;
      app.webhookDispatcher = undefined;
      dispatcher?.stop();
      await dispatcher?.idle();
    },
  });
  await leaderWork.start();

  const watcher = opts.watch
    ? createWorktreeWatcher({ dir: resolve(opts.repo), path: opts.path, onSnapshot: () => void controller.trigger('watch').catch(() => {}) })
    : undefined;
  // A push or commit into a local repository is synced at once; the poll stays the fallback.
  const refWatcher = repo.watchRefs?.(() => void controller.trigger('ref moved').catch(() => {}));

  handler = app.callback();
  server.ref();
  const adminTokenFile = await bootstrapAdminToken(app.tokens, opts.stateDir);
  if (adminTokenFile) logger.info({ file: adminTokenFile }, 'created a platform admin token (first start); read it from this file');
  logger.info({ url }, 'kradle API listening');

  return {
    url,
    tokens: app.tokens,
    adminTokenFile,
    async close() {
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await closed;
      app.shutdown();
      await watcher?.close();
      refWatcher?.close();
      await leaderWork.close();
      await agents.stop();
      await controller.stop();
      await store.close();
    },
  };
}
