// Starts bench/sync-server/kube-api-server.ts in its own process and talks to it over IPC.
// KUBE_PROF=DIR writes a CPU profile of the server process to DIR, to tell the controller's time from the harness's.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import type { ObjectRef } from '../../test/support/kube-api-server/index.ts';

export interface RemoteKubeApiServer {
  kubeConfig: KubeConfig;
  kubeConfigPath: string;
  object(ref: ObjectRef): Promise<Record<string, unknown> | undefined>;
  rss(): Promise<number>;
  /** CPU time (user + system, microseconds) the server's process has used so far. */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

export async function startRemoteKubeApiServer(): Promise<RemoteKubeApiServer> {
  const child = fork(fileURLToPath(new URL('./kube-api-server.ts', import.meta.url)), { execArgv: ['--import', 'tsx', ...(process.env.KUBE_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.KUBE_PROF] : [])], stdio: 'inherit' });
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  let next = 0;
  const kubeConfigPath = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the test API server exited (${code})`)));
    child.once('message', (m: { kubeConfigPath: string }) => resolve(m.kubeConfigPath));
  });
  child.on('message', (m: { id?: number }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m as Record<string, unknown>);
  });
  const ask = (msg: object) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      waiting.set(id, (m) => {
        waiting.delete(id);
        resolve(m);
      });
      child.send({ id, ...msg });
    });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(kubeConfigPath);
  return {
    kubeConfig,
    kubeConfigPath,
    object: async (ref) => ((await ask({ object: ref })).object as Record<string, unknown> | null) ?? undefined,
    rss: async () => Number((await ask({ rss: true })).rss),
    cpuMicros: async () => Number((await ask({ cpu: true })).micros),
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: next++, stop: true });
      await exited;
    },
  };
}
