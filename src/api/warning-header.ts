import { formatWarning, type ErrorDetail } from '../errors/index.ts';
import type { ApiContext } from './context.ts';

/** Headers a response carries at most, as a summary of its body's list: the body has them all. */
const MAX_HEADERS = 5;
const MAX_TEXT = 256;

/**
 * One RFC 7234 Warning value, `299 - "text"`, as the Kubernetes API server sends a warning and kubectl prints it.
 * The text is a quoted-string of printable ASCII: a field name from a YAML key may hold anything, and a header
 * must not (a quote or backslash is escaped, anything else outside ASCII becomes `?`); the body keeps it exact.
 */
function warningValue(text: string): string {
  const clipped = text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 3)}...` : text;
  return `299 - "${clipped.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&')}"`;
}

/**
 * A Warning header per warning of a successful write (the first few, then one that counts the rest), beside the
 * body's `warnings`: what kubectl users look for. Warnings name fields and files, never a value.
 */
export function setWarningHeaders(ctx: ApiContext, warnings: readonly ErrorDetail[] | undefined): void {
  if (!warnings?.length) return;
  const shown = warnings.length > MAX_HEADERS ? warnings.slice(0, MAX_HEADERS - 1) : warnings;
  const values = shown.map((w) => warningValue(formatWarning(w)));
  if (shown.length < warnings.length) values.push(warningValue(`and ${warnings.length - shown.length} more warnings in the response body`));
  ctx.set('Warning', values);
}
