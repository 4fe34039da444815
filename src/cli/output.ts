import { formatDetail, isKradleError, sanitize } from '../errors/index.ts';

/** One readable block for an error that ends a command: message, then each positioned detail. */
export function formatCliError(err: unknown): string {
  if (isKradleError(err)) {
    // The code leads, as in the server's answers: a script or a reader tells REPO_CORRUPT from NOT_FOUND at a glance.
    return [`kradle: ${err.code}: ${sanitize(err.message)}`, ...err.details.map((d) => `  ${formatDetail(d)}`)].join('\n');
  }
  return `kradle: ${sanitize(err instanceof Error ? err.message : String(err))}`;
}
