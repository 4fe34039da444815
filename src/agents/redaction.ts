/**
 * Secret detection for memory updates and imports. A finding refuses the update: the caller reports
 * where (path, line) and what rule matched, with the value masked; nothing is silently dropped.
 */

export interface RedactionFinding {
  path: string;
  line: number;
  rule: 'key-value-secret' | 'provider-token' | 'bearer-header' | 'pem-block' | 'long-base64';
  /** The offending value with all but its first 4 characters masked. */
  masked: string;
}

interface Rule {
  name: RedactionFinding['rule'];
  pattern: RegExp;
  /** Index of the capture group holding the secret value (0 = whole match). */
  group: number;
}

const RULES: Rule[] = [
  { name: 'pem-block', pattern: /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE|OPENSSH PRIVATE KEY)-----/g, group: 0 },
  { name: 'bearer-header', pattern: /\bauthorization\s*[:=]\s*(?:bearer|basic|token)\s+([A-Za-z0-9._~+/=-]{8,})/gi, group: 1 },
  { name: 'bearer-header', pattern: /\bbearer\s+([A-Za-z0-9._~+/=-]{16,})/gi, group: 1 },
  {
    name: 'provider-token',
    pattern:
      /\b(sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,})/g,
    group: 1,
  },
  {
    name: 'key-value-secret',
    pattern:
      /\b(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token|access[_-]?token|token)\b["']?\s*[:=]\s*["']?([^\s"',;]{6,})/gi,
    group: 1,
  },
  { name: 'long-base64', pattern: /(?<![A-Za-z0-9+/=_-])([A-Za-z0-9+/]{40,}={0,2})(?![A-Za-z0-9+/=_-])/g, group: 1 },
];

export function maskValue(value: string): string {
  return value.length <= 4 ? '****' : `${value.slice(0, 4)}${'*'.repeat(Math.min(value.length - 4, 12))}`;
}

/** A long run of base64 that is not a hex digest or an identifier is treated as an encoded secret. */
function looksLikeEncodedSecret(value: string): boolean {
  if (/^[0-9a-f]+$/i.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(value)).length;
  return classes >= 3 || /[+/=]/.test(value);
}

/** Every secret-looking value in a text, one finding per occurrence, in line order. */
export function scanText(path: string, text: string): RedactionFinding[] {
  const findings: RedactionFinding[] = [];
  const lines = text.split('\n');
  lines.forEach((lineText, i) => {
    const seen = new Set<string>();
    for (const rule of RULES) {
      for (const m of lineText.matchAll(rule.pattern)) {
        const value = m[rule.group] ?? m[0];
        if (rule.name === 'long-base64' && !looksLikeEncodedSecret(value)) continue;
        if ([...seen].some((s) => s.includes(value) || value.includes(s))) continue;
        seen.add(value);
        findings.push({ path, line: i + 1, rule: rule.name, masked: maskValue(value) });
      }
    }
  });
  return findings;
}

/** Scans every file of a change set. */
export function scanChanges(changes: readonly { path: string; content: string }[]): RedactionFinding[] {
  return changes.flatMap((c) => scanText(c.path, c.content));
}
