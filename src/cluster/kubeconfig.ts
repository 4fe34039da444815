// Finds the kubeconfig the way kubectl does, from an environment the caller passes in (never process.env):
// an explicit path, then KUBECONFIG (a path list, merged), ~/.kube/config, then the in-cluster service account.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { NotFoundError } from '../errors/index.ts';

export interface LoadKubeConfigOptions {
  /** An explicit kubeconfig file (for example from a --kubeconfig flag); missing is an error. */
  path?: string;
  env: Record<string, string | undefined>;
  /** Where the service account is mounted in a pod; overridable for tests. */
  serviceAccountDir?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function fromFiles(files: string[]): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(files[0]);
  for (const file of files.slice(1)) {
    const more = new KubeConfig();
    more.loadFromFile(file);
    kc.mergeConfig(more, true);
  }
  return kc;
}

function inCluster(env: LoadKubeConfigOptions['env'], dir: string): KubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const kc = new KubeConfig();
  kc.loadFromClusterAndUser(
    { name: 'in-cluster', server, caFile: join(dir, 'ca.crt'), skipTLSVerify: false },
    { name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } },
  );
  return kc;
}

/** The kubeconfig to use, or undefined when none is found (the caller then runs plan-only). */
export function loadKubeConfig(opts: LoadKubeConfigOptions): KubeConfig | undefined {
  if (opts.path) {
    if (!existsSync(opts.path)) throw new NotFoundError(`kubeconfig ${opts.path} does not exist`);
    return fromFiles([opts.path]);
  }
  const listed = (opts.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f !== '' && existsSync(f));
  if (listed.length > 0) return fromFiles(listed);
  const home = opts.env.HOME ?? opts.env.USERPROFILE;
  if (home && existsSync(join(home, '.kube', 'config'))) return fromFiles([join(home, '.kube', 'config')]);
  return inCluster(opts.env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
}
