import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lockDir, type DirLock } from '../dir-lock.ts';
import { normalizeOrigin } from '../../api/cors.ts';
import { createLogger } from '../logger.ts';
import type { Command } from '../main.ts';

const FIXTURE_REPO = fileURLToPath(new URL('../../../fixtures/config-repo', import.meta.url));

const USAGE = `usage: kradle serve [--repo PATH|URL] [--ref REF] [--path DIR] [--watch] [--port 3080] [--host 127.0.0.1]
                    [--database-url URL] [--data-dir DIR] [--state-dir DIR] [--kubeconfig FILE]
                    [--poll-interval SECONDS] [--sync-history N] [--public-url URL] [--allow-empty] [--cors-origin ORIGIN ...] [--log-level info]
environment: KRADLE_REPO, DATABASE_URL, KRADLE_DATA_DIR, KUBECONFIG, KRADLE_GIT_TOKEN (bearer token for a remote
             config repo), KRADLE_WEBHOOK_SECRET (HMAC secret of POST /api/webhooks/git), KRADLE_FORGE_TOKEN and
             KRADLE_FORGE_API (posting pull-request previews), PORT, KRADLE_HOST, KRADLE_LOG_LEVEL
logs: readable lines on a terminal, one JSON object a line otherwise; --log-level fatal|error|warn|info|debug|trace|silent`;

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number of seconds`);
  return n * 1000;
}

function count(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a whole number of at least 1`);
  return n;
}

/** A writable directory, or the reason it is not one: checked before anything is created in it. */
function writableDir(dir: string, flag: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new Error(`${flag} ${dir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** Binds and releases the port, so a port in use is said plainly before the database starts. */
async function portFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((ok, fail) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      fail(new Error(err.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use by another process: stop it, or pass --port` : `cannot listen on ${host}:${port}: ${err.code ?? err.message}`)));
    probe.listen(port, host, () => probe.close(() => ok()));
  });
}

/** Every check that needs no database, so a typo costs a second, not a PGlite start. */
async function preflight(o: { repo: string; port: number; host: string; stateDir: string; dataDir?: string }): Promise<void> {
  if (!/^https?:\/\//i.test(o.repo) && !existsSync(o.repo)) throw new Error(`--repo ${o.repo} does not exist (a local path or an http(s) URL of the config repo)`);
  writableDir(o.stateDir, '--state-dir');
  if (o.dataDir) writableDir(o.dataDir, '--data-dir');
  await portFree(o.port, o.host);
}

export const command: Command = {
  summary: 'run the controller and its HTTP API (embedded PGlite and plan-only cluster by default)',
  usage: USAGE,
  async run(argv) {
    const env = process.env;
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          repo: { type: 'string' }, ref: { type: 'string' }, path: { type: 'string' }, watch: { type: 'boolean' },
          port: { type: 'string' }, host: { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
          'state-dir': { type: 'string' }, kubeconfig: { type: 'string' }, 'poll-interval': { type: 'string' }, 'sync-history': { type: 'string' },
          'resync-interval': { type: 'string' }, 'public-url': { type: 'string' }, 'allow-empty': { type: 'boolean' },
          'cors-origin': { type: 'string', multiple: true },
          'log-level': { type: 'string' }, help: { type: 'boolean' },
        },
      }));
    } catch (err) {
      console.error(`kradle serve: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    const port = Number(values.port ?? env.PORT ?? 3080);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`kradle serve: --port must be a port number\n${USAGE}`);
      return 2;
    }
    let corsOrigins: string[] | undefined;
    let numbers: { pollIntervalMs?: number; resyncIntervalMs?: number; syncHistory?: number };
    try {
      corsOrigins = values['cors-origin']?.map(normalizeOrigin);
      numbers = {
        pollIntervalMs: seconds(values['poll-interval'], 'poll-interval'),
        resyncIntervalMs: seconds(values['resync-interval'], 'resync-interval'),
        syncHistory: count(values['sync-history'], 'sync-history'),
      };
    } catch (err) {
      console.error(`kradle serve: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const stateDir = values['state-dir'] ?? '.kradle';
    const repo = values.repo ?? env.KRADLE_REPO ?? FIXTURE_REPO;
    const host = values.host ?? env.KRADLE_HOST ?? '127.0.0.1';
    const databaseUrl = values['database-url'] ?? (values['data-dir'] ? undefined : env.DATABASE_URL || undefined);
    const dataDir = values['data-dir'] ?? env.KRADLE_DATA_DIR ?? `${stateDir}/data`;
    const embedded = !databaseUrl && !dataDir.startsWith('memory://');
    const locks: DirLock[] = [];
    let logger;
    try {
      logger = await createLogger(values['log-level'] ?? env.KRADLE_LOG_LEVEL ?? 'info');
      await preflight({ repo, port, host, stateDir, dataDir: embedded ? dataDir : undefined });
      // A second server on one state directory (or PGlite data directory) stops here, naming the first.
      const hint = 'stop that server first, or give this one its own --state-dir';
      locks.push(lockDir(stateDir, 'kradle serve', hint));
      if (embedded && resolve(dataDir) !== resolve(stateDir)) locks.push(lockDir(dataDir, 'kradle serve', hint));
      logger.info({ repo, stateDir: resolve(stateDir), store: databaseUrl ? 'postgres' : embedded ? `pglite ${resolve(dataDir)}` : 'pglite in memory', port }, 'kradle serve starting');
    } catch (err) {
      for (const l of locks) l.release();
      console.error(`kradle serve: ${(err as Error).message}`);
      return 2;
    }
    // The port is bound before the server's modules load (seconds on a busy machine): /healthz answers and
    // /readyz says what start-up waits for meanwhile. The checks above answer before either.
    const { listenEarly, MODULES_STEP, START_STEPS } = await import('../../server/early-listener.ts');
    let listener;
    try {
      listener = await listenEarly(port, host, [MODULES_STEP, ...START_STEPS]);
    } catch (err) {
      for (const l of locks) l.release();
      console.error(`kradle serve: cannot listen on ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return 2;
    }
    logger.info({ url: listener.url }, 'listening; /readyz says what start-up waits for');
    const { startServer } = await import('../../server/server.ts');
    listener.done(MODULES_STEP);
    const server = await startServer({
      listener,
      repo,
      ref: values.ref,
      path: values.path,
      watch: values.watch,
      auth: env.KRADLE_GIT_TOKEN ? { token: env.KRADLE_GIT_TOKEN } : undefined,
      port,
      host,
      databaseUrl,
      stateDir,
      dataDir,
      kubeconfig: values.kubeconfig,
      env,
      gitWebhookSecret: env.KRADLE_WEBHOOK_SECRET || undefined,
      forgeToken: env.KRADLE_FORGE_TOKEN || undefined,
      forgeApi: env.KRADLE_FORGE_API || undefined,
      ...numbers,
      publicUrl: values['public-url'],
      allowEmpty: values['allow-empty'],
      corsOrigins,
      logger,
    }).catch((err: unknown) => {
      listener.server.close();
      for (const l of locks) l.release();
      throw err;
    });
    for (const l of locks) l.update({ url: server.url });
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close().finally(() => {
          for (const l of locks) l.release();
          done();
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
