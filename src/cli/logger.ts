import { pino, type Logger } from 'pino';

/** Where log lines go: stdout, or any writer (a test reads what was logged). */
export interface LogStream {
  write(line: string): unknown;
  isTTY?: boolean;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The server's logger: one JSON object a line (for log collectors) unless stdout is a terminal, where
 * pino-pretty prints readable lines. Loaded only for a terminal, so a container start pays nothing for it.
 */
export async function createLogger(level: string, stream: LogStream = process.stdout): Promise<Logger> {
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  if (!stream.isTTY) return pino({ name: 'kradle', level }, stream);
  const { default: pretty } = await import('pino-pretty');
  return pino({ name: 'kradle', level }, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,name', sync: true }));
}
