import pg from 'pg';

const RETRY_MS = 1000;

/**
 * LISTEN on a dedicated client (a pooled one would be handed to other queries). When the connection
 * drops it reconnects and wakes the listener, because notifications sent meanwhile are lost.
 */
export async function listenWithReconnect(config: pg.ClientConfig, channel: string, onWake: () => void): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;

  async function connect(): Promise<void> {
    const c = new pg.Client(config);
    c.on('notification', (msg) => {
      if (msg.channel === channel) onWake();
    });
    c.on('error', () => reconnect(c));
    c.on('end', () => reconnect(c));
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
    client = c;
  }

  function reconnect(c: pg.Client): void {
    if (stopped || client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    const retry = () => {
      if (stopped) return;
      connect().then(onWake, () => {
        timer = setTimeout(retry, RETRY_MS);
        timer.unref();
      });
    };
    timer = setTimeout(retry, RETRY_MS);
    timer.unref();
  }

  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}
