import { formatDetail, isKradleError, sanitize, type ErrorDetail } from '../errors/index.ts';

/** One readable block for an error that ends a command: message, then each positioned detail. */
export function formatCliError(err: unknown): string {
  if (isKradleError(err)) {
    // The code leads, as in the server's answers: a script or a reader tells REPO_CORRUPT from NOT_FOUND at a glance.
    return [`kradle: ${err.code}: ${sanitize(err.message)}`, ...err.details.map((d) => `  ${formatDetail(d)}`)].join('\n');
  }
  return `kradle: ${sanitize(err instanceof Error ? err.message : String(err))}`;
}

/**
 * The same error as one JSON object, for `--format json`: the API's error envelope, so a script reads a failed
 * command as it reads a refused request. An error of the option parser is a usage error, as a bad --format is.
 */
export function cliErrorJson(err: unknown): { error: { code: string; message: string; details: ErrorDetail[] } } {
  if (isKradleError(err)) return { error: { code: err.code, message: sanitize(err.message), details: err.details } };
  const usage = String((err as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS');
  return { error: { code: usage ? 'BAD_REQUEST' : 'INTERNAL', message: sanitize(err instanceof Error ? err.message : String(err)), details: [] } };
}

/** `--format json` (or `--format=json`) before any `--`. */
export function asksJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  return args.some((a, i) => a === '--format=json' || (a === '--format' && args[i + 1] === 'json'));
}

/**
 * A failure of a command run with `--format json`, as the error envelope on stdout: a JSON consumer parses stdout,
 * and an empty one reads as a crash. The caller prints the message on stderr for a reader, as without it.
 */
export function printErrorJson(argv: string[], err: unknown): void {
  if (asksJson(argv)) console.log(JSON.stringify(cliErrorJson(err), null, 2));
}
