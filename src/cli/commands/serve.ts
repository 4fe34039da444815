import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { normalizeOrigin } from '../../api/cors.ts';
import { startServer } from '../../server/server.ts';
import type { Command } from '../main.ts';

const FIXTURE_REPO = fileURLToPath(new URL('../../../fixtures/config-repo', import.meta.url));

const USAGE = `usage: kradle serve [--repo PATH|URL] [--ref REF] [--path DIR] [--watch] [--port 3080] [--host 127.0.0.1]
                    [--database-url URL] [--data-dir DIR] [--state-dir DIR] [--kubeconfig FILE]
                    [--poll-interval SECONDS] [--public-url URL] [--allow-empty] [--cors-origin ORIGIN ...]
environment: KRADLE_REPO, DATABASE_URL, KRADLE_DATA_DIR, KUBECONFIG, KRADLE_GIT_TOKEN (bearer token for a remote
             config repo), KRADLE_WEBHOOK_SECRET (HMAC secret of POST /api/webhooks/git), PORT, KRADLE_HOST`;

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number of seconds`);
  return n * 1000;
}

export const command: Command = {
  summary: 'run the controller and its HTTP API (embedded PGlite and plan-only cluster by default)',
  async run(argv) {
    const env = process.env;
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          repo: { type: 'string' }, ref: { type: 'string' }, path: { type: 'string' }, watch: { type: 'boolean' },
          port: { type: 'string' }, host: { type: 'string' }, 'database-url': { type: 'string' }, 'data-dir': { type: 'string' },
          'state-dir': { type: 'string' }, kubeconfig: { type: 'string' }, 'poll-interval': { type: 'string' },
          'resync-interval': { type: 'string' }, 'public-url': { type: 'string' }, 'allow-empty': { type: 'boolean' },
          'cors-origin': { type: 'string', multiple: true },
          help: { type: 'boolean' },
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
    try {
      corsOrigins = values['cors-origin']?.map(normalizeOrigin);
    } catch (err) {
      console.error(`kradle serve: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    const stateDir = values['state-dir'] ?? '.kradle';
    const server = await startServer({
      repo: values.repo ?? env.KRADLE_REPO ?? FIXTURE_REPO,
      ref: values.ref,
      path: values.path,
      watch: values.watch,
      auth: env.KRADLE_GIT_TOKEN ? { token: env.KRADLE_GIT_TOKEN } : undefined,
      port,
      host: values.host ?? env.KRADLE_HOST ?? '127.0.0.1',
      databaseUrl: values['database-url'] ?? (values['data-dir'] ? undefined : env.DATABASE_URL || undefined),
      stateDir,
      dataDir: values['data-dir'] ?? env.KRADLE_DATA_DIR ?? `${stateDir}/data`,
      kubeconfig: values.kubeconfig,
      env,
      gitWebhookSecret: env.KRADLE_WEBHOOK_SECRET || undefined,
      pollIntervalMs: seconds(values['poll-interval'], 'poll-interval'),
      resyncIntervalMs: seconds(values['resync-interval'], 'resync-interval'),
      publicUrl: values['public-url'],
      allowEmpty: values['allow-empty'],
      corsOrigins,
    });
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        server.close().finally(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
