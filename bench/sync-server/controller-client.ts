// Starts bench/sync-server/controller.mjs (the controller under measurement) in its own process and talks to it
// over IPC. It runs the compiled dist/ when that is fresh, as bin/kradle.js does; otherwise the sources, through tsx.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiledIsFresh } from '../support/compiled.ts';

export interface ControllerMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Physical pages of V8's heap spaces, by space. */
  v8Committed: number;
  spaces: Record<string, { committed: number; used: number }>;
  /** Anonymous memory that is not V8's heap: glibc's malloc arenas above all, thread stacks. */
  otherAnon: number;
  /** Mapped files: the node binary and its libraries. */
  files: number;
  workers: number;
  /** The highest RSS of the process so far (VmHWM). */
  peakRss: number;
  /** Resident memory of glibc's main arena (the brk heap), part of otherAnon. */
  mainArena: number;
  /** The collections V8 ran during an idle wait (none counted for a forced reading). */
  gcs: { minor: number; major: number };
  /** A forced reading: the RSS right after the GC, and how long it took to stop falling (ms). */
  atGc?: number;
  settledMs?: number;
}

export interface RemoteController {
  /** 'dist' (compiled) or 'src' (through tsx). */
  code: string;
  start(opts: { repoDir: string; kubeConfigPath: string; databaseUrl?: string; schema?: string }): Promise<number>;
  /** One sync pass; resolves with its duration in ms. */
  trigger(reason: string): Promise<number>;
  runs(limit: number): Promise<Array<{ id: number; outcome: string; counts: Record<string, unknown>; errors: Array<{ code: string; message: string }> }>>;
  /** After a forced full GC, once the RSS stopped falling; or, with idleMs, after that long without work and without forcing anything. */
  memory(idleMs?: number): Promise<ControllerMemory>;
  heapSnapshot(path: string): Promise<string>;
  /** The highest V8 heap, used and committed, since the last call (sampled every 50 ms), in bytes. */
  heapPeak(): Promise<{ used: number; committed: number }>;
  /** CPU time (user + system, microseconds) the controller's process has used so far. */
  cpuMicros(): Promise<number>;
  profileStart(): Promise<void>;
  profileStop(): Promise<string>;
  stop(dropSchema?: string): Promise<void>;
}

/** `nodeOptions`: extra node flags for the controller (e.g. `--max-semi-space-size=4`), to compare settings. */
export async function startRemoteController(nodeOptions: string[] = []): Promise<RemoteController> {
  const compiled = compiledIsFresh();
  const child = fork(fileURLToPath(new URL('./controller.mjs', import.meta.url)), [compiled ? 'dist' : 'src'], {
    execArgv: [...(compiled ? [] : ['--import', 'tsx']), '--expose-gc', ...nodeOptions],
    stdio: 'inherit',
  });
  const waiting = new Map<number, (m: Record<string, unknown>) => void>();
  let next = 0;
  const code = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (status) => reject(new Error(`the controller exited (${status})`)));
    child.once('message', (m: { code: string }) => resolve(m.code));
  });
  child.on('message', (m: { id?: number }) => {
    if (m.id !== undefined) waiting.get(m.id)?.(m as Record<string, unknown>);
  });
  // A controller that dies (out of memory, a crash) fails what was asked of it instead of leaving the bench waiting.
  child.on('exit', (status, signal) => {
    for (const answer of [...waiting.values()]) answer({ error: `the controller exited (${signal ?? status})` });
  });
  const ask = (op: string, msg: object = {}) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => {
        waiting.delete(id);
        if (m.error) reject(new Error(`controller ${op}: ${String(m.error)}`));
        else resolve(m);
      });
      child.send({ id, op, ...msg });
    });
  return {
    code,
    start: async (opts) => Number((await ask('start', opts)).ms),
    trigger: async (reason) => Number((await ask('trigger', { reason })).ms),
    runs: async (limit) => (await ask('runs', { limit })).runs as Awaited<ReturnType<RemoteController['runs']>>,
    memory: async (idleMs) => (await ask('memory', { idleMs })).memory as ControllerMemory,
    heapSnapshot: async (path) => String((await ask('heapSnapshot', { path })).path),
    heapPeak: async () => (await ask('heapPeak')).peak as { used: number; committed: number },
    cpuMicros: async () => Number((await ask('cpu')).micros),
    profileStart: async () => void (await ask('profileStart')),
    profileStop: async () => String((await ask('profileStop')).profile),
    async stop(dropSchema) {
      const running = () => child.exitCode === null && child.signalCode === null;
      const exited = running() ? new Promise((resolve) => child.once('exit', resolve)) : Promise.resolve();
      try {
        if (running()) await ask('stop', { dropSchema });
      } finally {
        if (child.connected) child.disconnect();
        if (running()) child.kill();
        await exited;
      }
    },
  };
}
