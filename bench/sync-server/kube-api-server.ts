// The test Kubernetes API server in a process of its own, for bench/sync: the controller is measured alone.
// Started with fork(); it sends {kubeConfigPath} once listening, then answers {id, object: ref}, {id, rss} and {id, cpu}.
import { startKubeApiServer, type ObjectRef } from '../../test/support/kube-api-server/index.ts';

const kube = await startKubeApiServer({ recordRequests: false });
process.send!({ kubeConfigPath: kube.kubeConfigPath });
process.on('message', (m: { id: number; object?: ObjectRef; rss?: true; cpu?: true; stop?: true }) => {
  if (m.object) process.send!({ id: m.id, object: kube.object(m.object) ?? null });
  if (m.rss) process.send!({ id: m.id, rss: process.memoryUsage().rss });
  if (m.cpu) {
    const { user, system } = process.cpuUsage();
    process.send!({ id: m.id, micros: user + system });
  }
  if (m.stop) void kube.stop().then(() => process.exit(0));
});
