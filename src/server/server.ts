import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pino, type Logger } from 'pino';
import { createPullRequestPreviews } from '../forge/index.ts';
import { createAgentWiring } from './agents.ts';
import { createInferencePort } from './inference-port.ts';
import { createLeadership } from './leadership.ts';
import { createKubeSecretsPort } from './secrets-port.ts';
import { createSyncPort } from './sync-port.ts';
import { listenEarly, type StartingListener } from './early-listener.ts';
import { openConfigRepo } from './config-source.ts';
import { visibleWriter } from './visible-writer.ts';
import { createApiApp, PLATFORM_ORG, writerPortFrom, type RouteDef, type TokenService, type WriterPort } from '../api/index.ts';
import { buildCrds, createLiveDriver, createPlanOnlyDriver, healthOf, loadKubeConfig } from '../cluster/index.ts';
import { createLoader, tenantNamespaceOf } from '../loader/index.ts';
import { createQueuedRunRetry } from '../reconcile/agent-runs/index.ts';
import { createRepoStorage } from '../repos/index.ts';
import { createWriteIntentSender } from '../external/index.ts';
import { createSyncController } from '../reconcile/sync/index.ts';
import { createWorktreeWatcher, type RemoteAuth } from '../source/index.ts';
import { createStore } from '../store/index.ts';
import { createWebhookDispatcher } from '../webhooks/index.ts';
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
  /** Token for posting pull-request previews (commit status, comment) to the forge; never logged. */
  forgeToken?: string;
  /** The forge's API root, when it is not the one its webhooks name. */
  forgeApi?: string;
  pollIntervalMs?: number;
  /** Finished sync runs the store keeps (StoreOptions.syncHistory). */
  syncHistory?: number;
  resyncIntervalMs?: number;
  /** Sync a config repo that declares nothing, pruning everything applied (refused by default). */
  allowEmpty?: boolean;
  /** How often a follower tries the leader lock (then starts every leader-only loop); 1 s by default. */
  leaderCheckMs?: number;
  /** Base URL agent Jobs call back to; default the server's own URL. */
  publicUrl?: string;
  /** Origins whose pages may call the API with credentials (`--cors-origin`, repeatable); none by default. */
  corsOrigins?: readonly string[];
  logger?: Logger;
  /** Bound already (by `kradle serve`, before it loaded this module); otherwise startServer binds port and host. */
  listener?: StartingListener;
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
  // port is chosen by the system. `kradle serve` opens it before loading this module.
  const listener = opts.listener ?? (await listenEarly(opts.port, opts.host));
  const { server, url } = listener;
  if (!opts.listener) logger.info({ url }, 'listening; /readyz says what start-up waits for');

  // A held leader lock checks its connection every second, so a replica cut off from Postgres stops its
  // leader-only work within about 2 s (the next leader may take the lock as soon as the session is gone).
  const store = createStore({ databaseUrl: opts.databaseUrl, dataDir: opts.dataDir, leaseCheckMs: 1000, syncHistory: opts.syncHistory });
  const applied = await store.migrate();
  logger.info({ driver: store.driver, applied }, 'store ready');
  listener.done('the store');

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

  listener.done('the config repo');
  const kubeConfig = loadKubeConfig({ path: opts.kubeconfig, env: opts.env });
  const driver = kubeConfig ? createLiveDriver({ kubeConfig }) : createPlanOnlyDriver();
  logger.info({ mode: driver.mode }, kubeConfig ? 'cluster: live' : 'cluster: no kubeconfig found, plan-only');

  const loader = createLoader();
  let onState: (s: Parameters<NonNullable<Parameters<typeof createSyncController>[0]['onState']>>[0]) => void = () => {};
  let metrics: ReturnType<typeof createApiApp>['metrics'] | undefined;
  let afterPass = () => {};
  const controller = createSyncController({
    source: repo.source,
    load: (s) => loader.load(s),
    store,
    driver,
    healthOf,
    logger,
    // Built once: otherwise each pass reads every kind's schema file and hashes every CRD again (~15 ms).
    crds: buildCrds(),
    pollIntervalMs: opts.pollIntervalMs,
    resyncIntervalMs: opts.resyncIntervalMs,
    allowEmpty: opts.allowEmpty,
    onState: (s) => onState(s),
    onPass: (outcome, seconds) => {
      metrics?.recordSync(outcome, seconds);
      metrics?.resourcesChanged(store);
      // A refused revision produces no new state (no onState): without this, GET /api/sync kept the run before it.
      afterPass();
    },
    onFetch: (outcome) => metrics?.recordGitFetch(outcome),
    onUnchanged: () => metrics?.recordUnchangedFetch(),
  });
  desired = controller.current;
  const sync = createSyncPort({ controller, source: repo.source, loader: createLoader(), store });
  // A store that does not answer must not become an unhandled rejection: the next pass reads the run again.
  afterPass = () => void sync.refreshLastRun().catch(() => undefined);
  // Secrets, KServe lookups and agent Jobs live in the namespace the org's document names.
  const namespaceOf = (org: string) => tenantNamespaceOf(controller.current(), org);
  const secrets = createKubeSecretsPort(driver, namespaceOf);

  const writer: WriterPort | undefined = repo.writer ? visibleWriter(writerPortFrom(repo.writer), sync) : undefined;

  const agents = createAgentWiring({
    store, driver, desired: controller.current, callbackBaseUrl: opts.publicUrl ?? url, logger,
    cacheDir: join(resolve(opts.stateDir), 'cache'),
    // Readiness joins the sync's own Ready/Reconciling/Stalled on the AgentStack's status, merged by type.
    // The key comes from the desired state: an org may name its namespace (spec.namespaceName).
    onStackReadiness: async (r) => {
      const key = controller.current()?.get('AgentStack', r.org, r.stack)?.key;
      if (!key) return;
      await controller.statusWriter.merge(key, { conditions: r.conditions.map(({ type, status, reason, message }) => ({ type, status, reason, message })) });
    },
  });
  const app = createApiApp({
    store,
    config: { current: controller.current, lastError: controller.lastError },
    sync,
    writer,
    secrets,
    inference: createInferencePort(driver, { namespaceOf }),
    repoStorage: createRepoStorage({ baseDir: process.cwd(), cacheDir: join(resolve(opts.stateDir), 'cache'), secrets: (org, name, key) => secrets.read(org, name, key) }),
    logger,
    gitWebhookSecret: opts.gitWebhookSecret,
    pullRequestPreviews: createPullRequestPreviews({ preview: sync.preview, token: opts.forgeToken, api: opts.forgeApi, logger }),
    corsOrigins: opts.corsOrigins,
    syncedBranch: () => repo.source.ref,
    extraRoutes: agents.routes as unknown as RouteDef[],
  });
  metrics = app.metrics;
  onState = (state) => {
    agents.onState(state);
    void sync.refreshLastRun();
  };

  await controller.start();
  const leadership = createLeadership({ store, logger, retryMs: opts.leaderCheckMs });
  leadership.register(controller.leaderWork);
  // Replays are asked for on any replica; the loop delivering events runs on the leader only.
  const webhooks = createWebhookDispatcher({ store, secrets, config: { current: controller.current }, fetch, logger });
  app.webhookDispatcher = webhooks;
  leadership.register(webhooks);
  leadership.register({ name: 'agents', start: () => agents.startLeaderWork(), stop: () => agents.stopLeaderWork() });
  leadership.register(createQueuedRunRetry({
    retryQueued: agents.retryQueued,
    orgs: () => (controller.current()?.byKind('Organization') ?? []).flatMap((o) => (o.org ? [o.org] : [])),
    logger,
  }));
  // Approved external write intents are sent by the leader only.
  const intentSender = createWriteIntentSender({ store, desired: controller.current, secrets: (org, name, key) => secrets.read(org, name, key), fetch, logger });
  leadership.register({ name: 'write-intents', start: () => intentSender.start(), stop: () => intentSender.stop() });
  await leadership.start();

  const watcher = opts.watch
    ? createWorktreeWatcher({ dir: resolve(opts.repo), path: opts.path, onSnapshot: () => void controller.trigger('watch').catch(() => {}) })
    : undefined;
  // A push or commit into a local repository is synced at once; the poll stays the fallback.
  const refWatcher = repo.watchRefs?.(() => void controller.trigger('ref moved').catch(() => {}));

  listener.done('the cluster driver and the sync controller');
  listener.serve(app.callback());
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
      await leadership.close();
      await agents.stop();
      await controller.stop();
      await store.close();
    },
  };
}
