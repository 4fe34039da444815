/**
 * Removes credentials from text that may reach an error message, a log line or an event:
 * userinfo in URLs, bearer/basic tokens, and key=value secrets.
 */
export function sanitize(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@')
    .replace(/\b(bearer|basic)\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi, '$1 ***')
    .replace(/\b(password|passwd|secret|token|api[_-]?key)(\s*[=:]\s*)[^\s&,;]+/gi, '$1$2***');
}
