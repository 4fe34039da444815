// A test Kubernetes API server over real HTTP, for @kubernetes/client-node through a kubeconfig it writes.
// It implements the subset Kradle uses faithfully; it runs no controllers (set status by hand).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { createFaults, type Faults } from './faults.ts';
import type { JsonObject } from './fields.ts';
import type { Owner } from './ownership.ts';
import { createHandler } from './router.ts';
import { ObjectStore } from './store.ts';

export type { Faults, FailOptions } from './faults.ts';
export type { Owner } from './ownership.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface KubeApiServerOptions {
  /** Events kept for watches that resume from a resourceVersion (older ones get 410 Gone). */
  historyLimit?: number;
  bookmarkIntervalMs?: number;
  /** Keep every request in `requests` (default true); a benchmark turns it off so memory does not grow. */
  recordRequests?: boolean;
}

export interface KubeApiServer {
  url: string;
  token: string;
  kubeConfigPath: string;
  kubeConfig: KubeConfig;
  faults: Faults;
  /** Every request received, in order. */
  requests: { method: string; path: string }[];
  /** The stored object, or undefined. */
  object(ref: ObjectRef): JsonObject | undefined;
  objects(apiVersion: string, kind: string, namespace?: string): JsonObject[];
  /** Field managers of an object, with the leaf paths each owns (display form `.spec.replicas`). */
  managers(ref: ObjectRef): { manager: string; operation: string; fields: string[] }[];
  setStatus(ref: ObjectRef, status: JsonObject): JsonObject;
  /** Creates or updates an object as another client would (an Update by `manager`). */
  put(obj: JsonObject, manager?: string): JsonObject;
  remove(ref: ObjectRef): void;
  /** The current resourceVersion of the server. */
  resourceVersion(): string;
  /** Forgets the watch history: resuming a watch from an older resourceVersion gets 410 Gone. */
  compactHistory(): void;
  openWatches(): number;
  /** Closes every kept-alive connection that is idle, as a server's keep-alive timeout does. */
  closeIdleConnections(): void;
  stop(): Promise<void>;
}

function kubeconfigText(url: string, token: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain HTTP unless TLS verification is explicitly skipped.
    clusters: [{ name: 'kradle-test', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kradle-test', user: { token } }],
    contexts: [{ name: 'kradle-test', context: { cluster: 'kradle-test', user: 'kradle-test', namespace: 'default' } }],
    'current-context': 'kradle-test',
  }, null, 2);
}

export async function startKubeApiServer(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const store = new ObjectStore(opts.historyLimit ?? 1000);
  const open = new Set<ServerResponse>();
  const faults = createFaults(open);
  const token = randomBytes(16).toString('hex');
  const requests: { method: string; path: string }[] = [];
  const handler = createHandler({ store, faults, token, ...(opts.recordRequests === false ? {} : { log: requests }), watch: { open, bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 200 } });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'kradle-kube-'));
  const kubeConfigPath = join(dir, 'kubeconfig');
  await writeFile(kubeConfigPath, kubeconfigText(url, token), { mode: 0o600 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeConfigPath);

  const defOf = (ref: { apiVersion: string; kind: string }) => {
    const def = store.defFor(ref.apiVersion, ref.kind);
    if (!def) throw new Error(`the test server does not serve ${ref.apiVersion} ${ref.kind}`);
    return def;
  };
  const meta = (o: JsonObject) => o.metadata as { name: string; namespace?: string };
  const tryGet = (ref: ObjectRef) => {
    const def = store.defFor(ref.apiVersion, ref.kind);
    try {
      return def ? store.get(def, ref.namespace, ref.name) : undefined;
    } catch {
      return undefined;
    }
  };
  const describe = (o: Owner) => ({ manager: o.manager, operation: o.operation, fields: [...o.fields].map((f) => '.' + (JSON.parse(f) as string[]).join('.')).sort() });

  return {
    url, token, kubeConfigPath, kubeConfig,
    faults,
    requests,
    object: tryGet,
    objects: (apiVersion, kind, namespace) => store.list(defOf({ apiVersion, kind }), namespace),
    managers: (ref) => store.owners(defOf(ref), ref.namespace, ref.name).map(describe),
    setStatus: (ref, status) => store.setStatus(defOf(ref), ref.namespace, ref.name, status),
    put(obj, manager = 'test-client') {
      const def = defOf(obj as unknown as ObjectRef);
      const { name, namespace } = meta(obj);
      return tryGet({ ...(obj as unknown as ObjectRef), name, namespace })
        ? store.replace(def, namespace, name, structuredClone(obj), { manager })
        : store.create(def, namespace, structuredClone(obj), { manager });
    },
    remove: (ref) => void store.delete(defOf(ref), ref.namespace, ref.name),
    resourceVersion: () => String(store.rv),
    compactHistory: () => store.compact(),
    openWatches: () => open.size,
    closeIdleConnections: () => server.closeIdleConnections(),
    async stop() {
      faults.dropWatches();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
