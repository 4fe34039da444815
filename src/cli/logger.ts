import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The server's logger: one JSON object a line (for log collectors) unless stdout is a terminal, where
 * pino-pretty prints readable lines. Loaded only for a terminal, so a container start pays nothing for it.
 */
export async function createLogger(level: string, stream: NodeJS.WriteStream = process.stdout): Promise<Logger> {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  if (!stream.isTTY) return pino({ name: 'kradle', level });
  const { default: pretty } = await import('pino-pretty');
  return pino({ name: 'kradle', level }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name', sync: true }));
}
